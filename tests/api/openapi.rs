//! The served spec is the committed one, `/docs` shows it, and what it
//! documents is what the server enforces.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn committed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml")
}

#[tokio::test]
async fn served_yaml_equals_the_committed_file_byte_for_byte() {
    let app = spawn_app().await;
    let served = app
        .client
        .get(app.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert!(
        served.text().await.unwrap() == committed(),
        "GET /openapi.yaml differs from openapi.yaml: run `UPDATE_OPENAPI=1 cargo test -p sybil-http --test openapi_spec`"
    );
}

#[tokio::test]
async fn json_spec_and_docs_are_served() {
    let app = spawn_app().await;
    let (status, spec) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(spec["info"]["title"], "Sybil API");
    assert!(spec["paths"]["/v1/chats/{chatId}/messages"]["post"]["responses"]["201"].is_object());
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert_eq!(docs.headers()["content-type"], "text/html; charset=utf-8");
    let page = docs.text().await.unwrap();
    assert!(page.contains("SwaggerUIBundle"));
    // The page shows the spec as served, not poem's raw one.
    let served = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("let spec = {served};")));
}

#[tokio::test]
async fn every_operation_documents_its_error_body() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/openapi.json").await;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        // The contract's `{ message }` routes; `/openai/v1` speaks OpenAI's envelope.
        if !path.starts_with("/v1/") || path == "/v1/auth/session" {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            for status in ["400", "401", "500", "503"] {
                let schema = &op["responses"][status]["content"]["application/json; charset=utf-8"]
                    ["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} does not document {status}"
                );
            }
        }
    }
}

/// The spec documents `metadata` as an object, but the body parser takes any
/// JSON value so that the message policy answers the contract's 400.
#[tokio::test]
async fn metadata_that_is_not_an_object_is_refused_by_the_policy() {
    let app = spawn_app().await;
    let (_, created) = app.post_json("/v1/chats", &json!({})).await;
    let id = created["chat"]["id"].as_str().unwrap().to_string();
    for metadata in [json!("x"), json!([1]), json!(2)] {
        let (status, body) = app
            .post_json(
                &format!("/v1/chats/{id}/messages"),
                &json!({ "role": "user", "content": "x", "metadata": metadata }),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({ "message": "metadata must be a JSON object or null" })
        );
    }
    let (status, body) = app
        .post_json(
            &format!("/v1/chats/{id}/messages"),
            &json!({ "role": "user", "content": "x", "metadata": null }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["message"]["metadata"], Value::Null);
}

/// The routes limited whatever the admin assigns; an assignment may limit
/// any other route, which the spec cannot know of.
#[tokio::test]
async fn the_spec_documents_429_on_the_limited_routes_only() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/openapi.json").await;
    let limited = [
        ("/v1/chat-completions", "post"),
        ("/v1/chat-completions/stream", "post"),
        ("/v1/chats/title/suggest", "post"),
        ("/v1/searches/{searchId}/run", "post"),
        ("/openai/v1/chat/completions", "post"),
        // Login throttling (COLLAB-API.md §3.5).
        ("/api/auth/login", "post"),
        // The posting limit (§7.5).
        ("/api/threads/{conversation_id}/root", "post"),
        ("/api/messages/{parent_id}/reply", "post"),
    ];
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let too_many = &op["responses"]["429"];
            if limited.contains(&(path.as_str(), method.as_str())) {
                let headers = too_many["headers"].as_object().unwrap();
                assert!(
                    headers
                        .keys()
                        .any(|h| h.eq_ignore_ascii_case("retry-after")),
                    "{method} {path}"
                );
            } else {
                assert!(too_many.is_null(), "{method} {path} is not limited");
            }
        }
    }
    for path in ["/openai/v1/models", "/openai/v1/chat/completions"] {
        for (_, op) in spec["paths"][path].as_object().unwrap() {
            for status in ["400", "401"] {
                assert_eq!(
                    op["responses"][status]["content"]["application/json; charset=utf-8"]["schema"]
                        ["$ref"],
                    "#/components/schemas/OpenAiErrorEnvelope",
                    "{path} {status}"
                );
            }
        }
    }
}
