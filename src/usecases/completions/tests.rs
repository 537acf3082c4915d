use std::sync::Mutex;

use serde_json::json;
use sybil_domain::{MessageInput, Role, Timestamp};
use sybil_ports::outbound::clock::{MockClock, MockIdGenerator};
use sybil_ports::outbound::jobs::MockJobStore;
use sybil_ports::outbound::llm::MockLlmProvider;
use sybil_ports::outbound::storage::{MockCallLog, MockChatRepository};
use sybil_ports::outbound::tools::MockPageFetcher;
use sybil_ports::outbound::{ChatWithMessages, LlmError, LlmFailure, LlmResponse, RawJson, Usage};

use super::*;

fn clock() -> Arc<dyn Clock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(Timestamp(5_000));
    Arc::new(clock)
}

fn ids() -> Arc<dyn IdGenerator> {
    let next = Mutex::new(100u128);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(move || {
        let mut n = next.lock().unwrap();
        *n += 1;
        Uuid::from_u128(*n)
    });
    Arc::new(ids)
}

fn answer(text: &str) -> LlmResponse {
    LlmResponse {
        text: text.into(),
        tool_calls: vec![],
        usage: Usage {
            input_tokens: 3,
            output_tokens: 4,
            total_tokens: 7,
        },
        response_id: Some("resp_1".into()),
        request_id: Some("req_1".into()),
        raw: RawJson::from_value(&json!({ "id": "resp_1" })),
    }
}

fn provider(kind: Provider, setup: impl FnOnce(&mut MockLlmProvider)) -> Providers {
    let mut p = MockLlmProvider::new();
    p.expect_provider().return_const(kind);
    setup(&mut p);
    Providers::new(vec![Arc::new(p)])
}

fn calls_expecting(status: CallStatus) -> MockCallLog {
    let mut calls = MockCallLog::new();
    calls
        .expect_record_call()
        .withf(move |c| c.status == status)
        .times(1)
        .returning(|_| Ok(()));
    calls
}

fn service(
    chats: MockChatRepository,
    calls: MockCallLog,
    providers: Providers,
) -> CompletionService {
    CompletionService::new(CompletionDeps {
        chats: Arc::new(chats),
        calls: Arc::new(calls),
        providers,
        clock: clock(),
        ids: ids(),
        tools: ToolRunner {
            web_search: None,
            fetcher: Arc::new(MockPageFetcher::new()),
            devbox: None,
        },
        max_tool_rounds: 100,
        jobs: Arc::new(JobHub::new(
            Arc::new(MockJobStore::new()),
            clock(),
            "test".into(),
        )),
    })
}

fn msg(role: &str, content: &str) -> MessageInput {
    MessageInput {
        role: role.into(),
        content: content.into(),
        ..Default::default()
    }
}

fn command(chat_id: Option<String>, messages: Vec<MessageInput>) -> CompletionCommand {
    CompletionCommand {
        chat_id,
        provider: Provider::OpenAi,
        model: "gpt-4.1-mini".into(),
        messages,
        temperature: Some(0.2),
        max_tokens: Some(256),
    }
}

const CHAT: u128 = 42;

fn chat_with(messages: Vec<Message>) -> ChatWithMessages {
    ChatWithMessages {
        chat: Chat::new(Uuid::from_u128(CHAT), None, None, Timestamp(1)),
        messages,
    }
}

#[tokio::test(start_paused = true)]
async fn invalid_requests_touch_nothing() {
    let svc = service(
        MockChatRepository::new(),
        MockCallLog::new(),
        Providers::default(),
    );
    let err = svc.complete(command(None, vec![])).await.unwrap_err();
    assert_eq!(
        err,
        CompletionError::Invalid("messages must contain at least 1 message".into())
    );
    let mut bad = command(None, vec![msg("user", "x")]);
    bad.temperature = Some(3.0);
    assert_eq!(
        svc.complete(bad).await.unwrap_err().to_string(),
        "temperature must be a number from 0 to 2"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unconfigured_provider_names_its_variable() {
    let svc = service(
        MockChatRepository::new(),
        MockCallLog::new(),
        Providers::default(),
    );
    let mut cmd = command(
        Some(Uuid::from_u128(CHAT).to_string()),
        vec![msg("user", "x")],
    );
    cmd.provider = Provider::Xai;
    let err = svc.complete(cmd).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "provider xai is not configured: set XAI_API_KEY"
    );
}

#[tokio::test(start_paused = true)]
async fn unknown_chats_are_not_found_before_any_provider_call() {
    let mut chats = MockChatRepository::new();
    chats
        .expect_append_new_messages()
        .returning(|_, _, _, _| Ok(false));
    let providers = provider(Provider::OpenAi, |_| {});
    let svc = service(chats, MockCallLog::new(), providers);
    let cmd = command(Some(Uuid::from_u128(7).to_string()), vec![msg("user", "x")]);
    assert_eq!(
        svc.complete(cmd).await.unwrap_err(),
        CompletionError::ChatNotFound
    );
    let cmd = command(Some("not-a-uuid".into()), vec![msg("user", "x")]);
    assert_eq!(
        svc.complete(cmd).await.unwrap_err(),
        CompletionError::ChatNotFound
    );
}

#[tokio::test(start_paused = true)]
async fn with_a_chat_the_history_goes_to_storage_then_the_answer() {
    let mut chats = MockChatRepository::new();
    let mut seq = mockall::Sequence::new();
    // The whole request goes to storage, which keeps only what is new.
    chats
        .expect_append_new_messages()
        .withf(|id, messages, choice, _| {
            *id == Uuid::from_u128(CHAT)
                && messages
                    .iter()
                    .map(|m| m.content.as_str())
                    .collect::<Vec<_>>()
                    == ["hi", "hello", "more"]
                && choice
                    .as_ref()
                    .is_some_and(|c| c.provider == Provider::OpenAi && c.model == "gpt-4.1-mini")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(true));
    chats
        .expect_append_messages()
        .withf(|_, messages, choice, _| {
            choice.is_none()
                && messages.len() == 1
                && messages[0].role == Role::Assistant
                && messages[0].content == "the answer"
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(true));
    let providers = provider(Provider::OpenAi, |p| {
        p.expect_complete()
            .withf(|r| {
                r.instructions == SYSTEM_INSTRUCTION
                    && r.messages.len() == 3
                    && r.messages[2].content == "more"
                    && r.max_tokens == Some(256)
                    && r.temperature == Some(0.2)
                    && r.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>()
                        == ["web_search", "fetch_url"]
            })
            .times(1)
            .returning(|_| Ok(answer("the answer")));
    });
    let mut calls = MockCallLog::new();
    calls
        .expect_record_call()
        .withf(|c| {
            c.status == CallStatus::Ok
                && c.chat_id == Some(Uuid::from_u128(CHAT))
                && c.usage.is_some_and(|u| u.total_tokens == 7)
                && c.upstream_request_id.as_deref() == Some("req_1")
        })
        .times(1)
        .returning(|_| Ok(()));
    let svc = service(chats, calls, providers);
    let out = svc
        .complete(command(
            Some(Uuid::from_u128(CHAT).to_string()),
            vec![
                msg("user", "hi"),
                msg("assistant", "hello"),
                msg("user", "more"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(out.content, "the answer");
    assert_eq!(out.chat_id, Some(Uuid::from_u128(CHAT)));
    assert!(out.message_id.is_some());
    assert_eq!(out.raw.to_value(), json!({ "id": "resp_1" }));
}

#[tokio::test(start_paused = true)]
async fn an_upstream_failure_records_an_error_and_stores_no_answer() {
    let mut chats = MockChatRepository::new();
    chats
        .expect_append_new_messages()
        .withf(|_, _, choice, _| choice.is_some())
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    let providers = provider(Provider::OpenAi, |p| {
        p.expect_complete().returning(|_| {
            Err(LlmError {
                provider: Provider::OpenAi,
                failure: LlmFailure::Status(429),
                message: "Rate limit reached".into(),
            })
        });
    });
    let svc = service(chats, calls_expecting(CallStatus::Error), providers);
    let err = svc
        .complete(command(
            Some(Uuid::from_u128(CHAT).to_string()),
            vec![msg("user", "x")],
        ))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CompletionError::Upstream(LlmError {
            failure: LlmFailure::Status(429),
            ..
        })
    ));
}

#[tokio::test(start_paused = true)]
async fn without_a_chat_nothing_is_stored_but_the_call_is_recorded() {
    let providers = provider(Provider::OpenAi, |p| {
        p.expect_complete().returning(|_| Ok(answer("ok")));
    });
    let svc = service(
        MockChatRepository::new(),
        calls_expecting(CallStatus::Ok),
        providers,
    );
    let out = svc
        .complete(command(None, vec![msg("user", "x")]))
        .await
        .unwrap();
    assert_eq!((out.chat_id, out.message_id), (None, None));
    assert_eq!(out.usage.total_tokens, 7);
}

#[tokio::test(start_paused = true)]
async fn a_titled_chat_is_returned_unchanged_without_a_model_call() {
    let mut chats = MockChatRepository::new();
    chats.expect_load_chat().returning(|_| {
        let mut c = chat_with(vec![]);
        c.chat.title = Some("Kept".into());
        Ok(Some(c))
    });
    let svc = service(chats, MockCallLog::new(), Providers::default());
    let chat = svc
        .suggest_title(&Uuid::from_u128(CHAT).to_string(), "anything")
        .await
        .unwrap();
    assert_eq!(chat.title.as_deref(), Some("Kept"));
}

#[tokio::test(start_paused = true)]
async fn an_untitled_chat_gets_the_cleaned_model_title() {
    let mut chats = MockChatRepository::new();
    chats
        .expect_load_chat()
        .returning(|_| Ok(Some(chat_with(vec![]))));
    chats
        .expect_rename_chat()
        .withf(|_, title, _| title.as_deref() == Some("Florence weekend trip plan"))
        .times(1)
        .returning(|id, title, now| Ok(Some(Chat::new(id, title, None, now))));
    let providers = provider(Provider::OpenAi, |p| {
        p.expect_complete()
            .withf(|r| {
                r.model == "gpt-4.1-mini" && r.messages[0].content == "plan my weekend in Florence"
            })
            .returning(|_| Ok(answer("\"Florence weekend trip plan.\"\n")));
    });
    let svc = service(chats, calls_expecting(CallStatus::Ok), providers);
    let chat = svc
        .suggest_title(
            &Uuid::from_u128(CHAT).to_string(),
            "plan my weekend in Florence",
        )
        .await
        .unwrap();
    assert_eq!(chat.title.as_deref(), Some("Florence weekend trip plan"));
}

#[tokio::test(start_paused = true)]
async fn title_suggestion_needs_openai() {
    let mut chats = MockChatRepository::new();
    chats
        .expect_load_chat()
        .returning(|_| Ok(Some(chat_with(vec![]))));
    let svc = service(chats, MockCallLog::new(), Providers::default());
    let err = svc
        .suggest_title(&Uuid::from_u128(CHAT).to_string(), "x")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "provider openai is not configured: set OPENAI_API_KEY"
    );
}
