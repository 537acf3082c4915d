//! The HTTP layer over mocked use cases: statuses, exact JSON shapes, auth,
//! and the JSON form of every framework error.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};
use sybil_domain::{Chat, Message, ModelChoice, Provider, Role, Secret, Timestamp};
use sybil_http::{AuthConfig, Services, app};
use sybil_ports::inbound::ChatError;
use sybil_ports::inbound::chats::MockChatUseCases;
use sybil_ports::inbound::completions::MockCompletionUseCases;
use sybil_ports::inbound::jobs::MockResumableCompletions;
use sybil_ports::inbound::models::MockModelUseCases;
use sybil_ports::inbound::readiness::MockReadinessCheck;
use sybil_ports::inbound::searches::MockSearchUseCases;
use sybil_ports::outbound::{ChatWithMessages, StorageError};
use uuid::Uuid;

fn client(mock: MockChatUseCases, token: Option<&str>) -> TestClient<impl poem::Endpoint> {
    let services = Services {
        chats: Arc::new(mock),
        completions: Arc::new(MockCompletionUseCases::new()),
        models: Arc::new(MockModelUseCases::new()),
        searches: Arc::new(MockSearchUseCases::new()),
        readiness: Arc::new(MockReadinessCheck::new()),
        resumable: Arc::new(MockResumableCompletions::new()),
        accounts: Arc::new(sybil_ports::inbound::accounts::MockAccountUseCases::new()),
        conversations: Arc::new(
            sybil_ports::inbound::conversations::MockConversationUseCases::new(),
        ),
        limits: Arc::new(no_limits()),
    };
    TestClient::new(app(
        services,
        AuthConfig {
            admin_token: token.map(Secret::new),
            ..AuthConfig::default()
        },
    ))
}

fn no_limits() -> sybil_ports::inbound::rate_limits::MockRateLimitUseCases {
    let mut limits = sybil_ports::inbound::rate_limits::MockRateLimitUseCases::new();
    limits.expect_check().returning(|_, _, _| None);
    limits
}

fn sample_chat() -> Chat {
    Chat {
        id: Uuid::from_u128(1),
        title: None,
        created_at: Timestamp(1_771_027_200_000),
        updated_at: Timestamp(1_771_027_200_123),
        initiated: Some(ModelChoice {
            provider: Provider::OpenAi,
            model: "gpt-4.1-mini".into(),
        }),
        last_used: None,
    }
}

async fn json_of(resp: poem::test::TestResponse) -> Value {
    let text = resp.0.into_body().into_string().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[tokio::test]
async fn health_and_open_session() {
    let cli = client(MockChatUseCases::new(), None);
    let resp = cli.get("/health").send().await;
    resp.assert_status_is_ok();
    assert_eq!(json_of(resp).await, json!({ "ok": true }));
    let resp = cli.get("/v1/auth/session").send().await;
    assert_eq!(
        json_of(resp).await,
        json!({ "authenticated": true, "mode": "open" })
    );
}

#[tokio::test]
async fn token_mode_guards_v1_but_not_the_session_route() {
    let mut mock = MockChatUseCases::new();
    mock.expect_list_chats().times(1).returning(|| Ok(vec![]));
    let cli = client(mock, Some("s3cret"));

    let resp = cli.get("/v1/auth/session").send().await;
    resp.assert_status_is_ok();
    assert_eq!(
        json_of(resp).await,
        json!({ "authenticated": false, "mode": "token" })
    );

    let resp = cli.get("/v1/chats").send().await;
    resp.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(
        json_of(resp).await,
        json!({ "message": "missing or invalid bearer token" })
    );

    let resp = cli
        .get("/v1/chats")
        .header("Authorization", "Bearer wrong")
        .send()
        .await;
    resp.assert_status(StatusCode::UNAUTHORIZED);

    let resp = cli
        .get("/v1/chats")
        .header("Authorization", "Bearer s3cret")
        .send()
        .await;
    resp.assert_status_is_ok();
    assert_eq!(json_of(resp).await, json!({ "chats": [] }));

    let resp = cli
        .get("/v1/auth/session")
        .header("Authorization", "Bearer s3cret")
        .send()
        .await;
    assert_eq!(
        json_of(resp).await,
        json!({ "authenticated": true, "mode": "token" })
    );

    cli.get("/health").send().await.assert_status_is_ok();
    cli.get("/openapi.json").send().await.assert_status_is_ok();
}

#[tokio::test]
async fn create_chat_answers_201_with_the_exact_summary_shape() {
    let mut mock = MockChatUseCases::new();
    mock.expect_create_chat()
        .withf(|r| {
            r.provider.as_deref() == Some("openai")
                && r.model.as_deref() == Some("gpt-4.1-mini")
                && r.messages.len() == 1
                && r.messages[0].attachments.len() == 1
        })
        .returning(|_| Ok(sample_chat()));
    let cli = client(mock, None);
    let resp = cli
        .post("/v1/chats")
        .body_json(&json!({
            "title": null, "provider": "openai", "model": "gpt-4.1-mini",
            "messages": [{ "role": "user", "content": "hi",
                "attachments": [{ "kind": "text", "filename": "a.md", "text": "x" }] }]
        }))
        .send()
        .await;
    resp.assert_status(StatusCode::CREATED);
    assert_eq!(
        json_of(resp).await,
        json!({ "chat": {
            "id": "00000000-0000-0000-0000-000000000001",
            "title": null,
            "createdAt": "2026-02-14T00:00:00.000Z",
            "updatedAt": "2026-02-14T00:00:00.123Z",
            "initiatedProvider": "openai",
            "initiatedModel": "gpt-4.1-mini",
            "lastUsedProvider": null,
            "lastUsedModel": null
        }})
    );
}

#[tokio::test]
async fn chat_detail_lists_messages_with_null_fields() {
    let mut mock = MockChatUseCases::new();
    mock.expect_get_chat().returning(|_| {
        Ok(ChatWithMessages {
            chat: sample_chat(),
            messages: vec![Message {
                id: Uuid::from_u128(2),
                created_at: Timestamp(0),
                role: Role::User,
                content: "hello".into(),
                name: None,
                metadata: None,
            }],
        })
    });
    let resp = client(mock, None).get("/v1/chats/any").send().await;
    resp.assert_status_is_ok();
    let body = json_of(resp).await;
    assert_eq!(
        body["chat"]["messages"],
        json!([{ "id": "00000000-0000-0000-0000-000000000002",
            "createdAt": "1970-01-01T00:00:00.000Z", "role": "user",
            "content": "hello", "name": null, "metadata": null }])
    );
    assert_eq!(body["chat"]["initiatedProvider"], "openai");
    assert_eq!(body["chat"].as_object().unwrap().len(), 9);
}

#[tokio::test]
async fn unknown_chats_answer_the_contract_404() {
    let mut mock = MockChatUseCases::new();
    mock.expect_get_chat()
        .returning(|_| Err(ChatError::NotFound));
    mock.expect_delete_chat()
        .returning(|_| Err(ChatError::NotFound));
    let cli = client(mock, None);
    for resp in [
        cli.get("/v1/chats/nope").send().await,
        cli.delete("/v1/chats/nope").send().await,
    ] {
        resp.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(json_of(resp).await, json!({ "message": "chat not found" }));
    }
}

#[tokio::test]
async fn delete_answers_deleted_true() {
    let mut mock = MockChatUseCases::new();
    mock.expect_delete_chat().returning(|_| Ok(()));
    let resp = client(mock, None).delete("/v1/chats/x").send().await;
    resp.assert_status_is_ok();
    assert_eq!(json_of(resp).await, json!({ "deleted": true }));
}

#[tokio::test]
async fn rule_violations_are_400_with_the_use_case_message() {
    let mut mock = MockChatUseCases::new();
    mock.expect_add_message()
        .returning(|_, _| Err(ChatError::Invalid("attachments[0] (a.png): bad".into())));
    let resp = client(mock, None)
        .post("/v1/chats/x/messages")
        .body_json(&json!({ "role": "user", "content": "x" }))
        .send()
        .await;
    resp.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(
        json_of(resp).await,
        json!({ "message": "attachments[0] (a.png): bad" })
    );
}

#[tokio::test]
async fn malformed_bodies_are_json_400s_naming_the_field() {
    let cli = client(MockChatUseCases::new(), None);
    let cases = [
        (r#"{"title": 5}"#, "title must be a string"),
        (r#"{"bogus": 1}"#, "unknown field `bogus`"),
        (
            r#"{"messages": [{"role": "robot", "content": "x"}]}"#,
            "messages[0].role must be one of system, user, assistant, tool",
        ),
        (
            r#"{"messages": [{"role": "user"}]}"#,
            "messages[0]: missing field `content`",
        ),
        (r#"{"title": "#, "the request body is not valid JSON"),
        (
            r#"{"provider": "google", "model": "x"}"#,
            "provider must be one of openai, anthropic, xai",
        ),
    ];
    for (body, expected) in cases {
        let resp = cli
            .post("/v1/chats")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        let message = json_of(resp).await["message"].as_str().unwrap().to_string();
        assert!(message.contains(expected), "{body}: {message}");
    }
}

/// `null` for a required field, or a value of another type, is a 400 naming
/// the field and the JSON type it must be, never "not valid JSON"; the use
/// cases (mocks without expectations) are never called.
#[tokio::test]
async fn null_or_a_wrong_type_is_a_400_naming_the_field_and_its_type() {
    let cli = client(MockChatUseCases::new(), None);
    let user = json!({ "role": "user", "content": "x" });
    let completion = |field: &str, value: Value| {
        let mut body = json!({ "provider": "openai", "model": "m", "messages": [user] });
        body[field] = value;
        body
    };
    let cases = [
        (
            "POST",
            "/v1/chat-completions",
            completion("provider", Value::Null),
            "provider must be a string",
        ),
        (
            "POST",
            "/v1/chat-completions/stream",
            completion("provider", json!(1)),
            "provider must be a string",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("provider", json!("google")),
            "provider must be one of openai, anthropic, xai",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("model", Value::Null),
            "model must be a string",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("messages", Value::Null),
            "messages must be an array",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("messages", json!([null])),
            "messages[0] must be an object",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("messages", json!([{ "role": null, "content": "x" }])),
            "messages[0].role must be a string",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("temperature", json!("hot")),
            "temperature must be a number",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("maxTokens", json!(1.5)),
            "maxTokens must be an integer",
        ),
        (
            "POST",
            "/v1/chat-completions",
            completion("resumable", json!(1)),
            "resumable must be a boolean",
        ),
        (
            "POST",
            "/v1/chats",
            json!({ "provider": null, "model": 5 }),
            "model must be a string",
        ),
        (
            "POST",
            "/v1/chats",
            json!({ "messages": [{ "role": "user", "content": null }] }),
            "messages[0].content must be a string",
        ),
        (
            "POST",
            "/v1/chats",
            json!({ "messages": [{ "role": "user", "content": "x", "attachments": [{ "kind": null }] }] }),
            "messages[0].attachments[0].kind must be a string",
        ),
        (
            "PATCH",
            "/v1/chats/x",
            json!({ "title": null }),
            "title must be a string",
        ),
        (
            "POST",
            "/v1/chats/x/messages",
            json!({ "role": "user", "content": [] }),
            "content must be a string",
        ),
        (
            "POST",
            "/v1/chats/title/suggest",
            json!({ "chatId": null, "content": "x" }),
            "chatId must be a string",
        ),
        (
            "POST",
            "/v1/searches",
            json!([null, null]),
            "the request body must be an object",
        ),
        (
            "POST",
            "/v1/chats",
            json!({ "messages": [["user", "x"]] }),
            "messages[0] must be an object",
        ),
        (
            "POST",
            "/v1/searches",
            json!({ "query": 1 }),
            "query must be a string",
        ),
        (
            "POST",
            "/v1/searches/x/run",
            json!({ "type": 3 }),
            "type must be a string",
        ),
        (
            "POST",
            "/v1/searches/x/run",
            json!({ "type": "neural" }),
            "type must be one of auto, fast, deep, instant",
        ),
        (
            "POST",
            "/v1/searches/x/run",
            json!({ "numResults": "5" }),
            "numResults must be an integer",
        ),
        (
            "POST",
            "/v1/searches/x/run",
            json!({ "includeDomains": [null] }),
            "includeDomains[0] must be a string",
        ),
        (
            "POST",
            "/v1/searches/x/chat",
            json!({ "title": false }),
            "title must be a string",
        ),
        (
            "POST",
            "/openai/v1/chat/completions",
            json!({ "model": null, "messages": [user] }),
            "model must be a string",
        ),
        (
            "POST",
            "/openai/v1/chat/completions",
            json!({ "model": "openai/m", "messages": [{ "role": null }] }),
            "messages[0].role must be a string",
        ),
        (
            "POST",
            "/openai/v1/chat/completions",
            json!({ "model": "openai/m", "messages": [user], "stream": "yes" }),
            "stream must be a boolean",
        ),
    ];
    for (method, path, body, expected) in cases {
        let request = match method {
            "PATCH" => cli.patch(path),
            _ => cli.post(path),
        };
        let resp = request.body_json(&body).send().await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        let answer = json_of(resp).await;
        let message = answer["message"]
            .as_str()
            .or_else(|| answer["error"]["message"].as_str())
            .unwrap_or_default()
            .to_string();
        assert_eq!(message, expected, "{method} {path} {body}");
    }
}

#[tokio::test]
async fn framework_errors_are_json() {
    let cli = client(MockChatUseCases::new(), None);

    let resp = cli.get("/v2/nothing").send().await;
    resp.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(json_of(resp).await, json!({ "message": "not found" }));

    let resp = cli.put("/v1/chats").send().await;
    resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    resp.assert_header("allow", "GET, POST");
    assert_eq!(
        json_of(resp).await,
        json!({ "message": "method not allowed" })
    );

    let resp = cli
        .post("/v1/chats")
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await;
    resp.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        json_of(resp).await,
        json!({ "message": "Content-Type must be application/json" })
    );

    let resp = cli.post("/v1/chats").body("{}").send().await;
    resp.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn bodies_over_32_mib_are_413() {
    let cli = client(MockChatUseCases::new(), None);
    let big = vec![b' '; sybil_http::MAX_BODY_BYTES + 1];
    let resp = cli
        .post("/v1/chats")
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await;
    resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json_of(resp).await,
        json!({ "message": "request body must be at most 33554432 bytes" })
    );
}

#[tokio::test]
async fn storage_outages_are_503_and_failures_500_without_detail() {
    let mut mock = MockChatUseCases::new();
    mock.expect_list_chats().times(1).returning(|| {
        Err(ChatError::Storage(StorageError::Unavailable(
            "pool timed out on 10.0.0.5".into(),
        )))
    });
    mock.expect_get_chat().returning(|_| {
        Err(ChatError::Storage(StorageError::Internal(
            "syntax error near SELECT".into(),
        )))
    });
    let cli = client(mock, None);
    let resp = cli.get("/v1/chats").send().await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        json_of(resp).await,
        json!({ "message": "storage unavailable" })
    );
    let resp = cli.get("/v1/chats/x").send().await;
    resp.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json_of(resp).await, json!({ "message": "internal error" }));
}
