//! The chat and message routes end to end, over real SQLite storage.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestClock, spawn_app, spawn_app_with_clock};

fn png_data_url() -> String {
    let mut bytes = vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&[0; 16]);
    format!("data:image/png;base64,{}", STANDARD.encode(bytes))
}

fn is_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    // 2026-02-14T00:00:00.000Z
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.' && s.as_bytes()[10] == b'T'
}

fn is_uuid_v7(v: &Value) -> bool {
    uuid::Uuid::parse_str(v.as_str().unwrap_or_default()).is_ok_and(|u| u.get_version_num() == 7)
}

#[tokio::test]
async fn a_chat_round_trips_with_its_initial_transcript_and_attachments() {
    let app = spawn_app().await;
    let (status, created) = app
        .post_json(
            "/v1/chats",
            &json!({
                "title": "Trip", "provider": "anthropic", "model": "claude-3-5-sonnet-latest",
                "messages": [
                    { "role": "system", "content": "be brief" },
                    { "role": "user", "content": "look", "name": "ana", "attachments": [
                        { "kind": "image", "filename": "p.png", "mimeType": "image/png", "dataUrl": png_data_url() },
                        { "kind": "text", "id": "mine", "filename": "n.md", "mimeType": "text/markdown", "text": "# Notes" }
                    ]}
                ]
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let chat = &created["chat"];
    assert!(is_uuid_v7(&chat["id"]));
    assert!(is_timestamp(&chat["createdAt"]) && chat["createdAt"] == chat["updatedAt"]);
    assert_eq!(chat["initiatedProvider"], "anthropic");
    assert_eq!(chat["lastUsedModel"], "claude-3-5-sonnet-latest");
    assert_eq!(chat.as_object().unwrap().len(), 8);

    let id = chat["id"].as_str().unwrap();
    let (status, detail) = app.get_json(&format!("/v1/chats/{id}")).await;
    assert_eq!(status, 200);
    let messages = detail["chat"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[0]["metadata"], Value::Null);
    assert_eq!(messages[0]["name"], Value::Null);
    assert_eq!(messages[1]["name"], "ana");
    let attachments = &messages[1]["metadata"]["attachments"];
    assert!(is_uuid_v7(&attachments[0]["id"]));
    assert_eq!(
        attachments[0],
        json!({ "kind": "image", "id": attachments[0]["id"], "filename": "p.png",
                "mimeType": "image/png", "sizeBytes": 24, "dataUrl": png_data_url() })
    );
    assert_eq!(
        attachments[1],
        json!({ "kind": "text", "id": "mine", "filename": "n.md", "mimeType": "text/markdown",
                "sizeBytes": 7, "text": "# Notes", "truncated": false })
    );
    for m in messages {
        assert!(is_uuid_v7(&m["id"]) && is_timestamp(&m["createdAt"]));
        assert_eq!(m.as_object().unwrap().len(), 6);
    }
}

#[tokio::test]
async fn a_bad_attachment_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/v1/chats",
            &json!({ "messages": [{ "role": "user", "content": "x", "attachments": [
                { "kind": "image", "filename": "cat.gif", "mimeType": "image/gif", "dataUrl": "data:image/gif;base64,R0lG" }
            ]}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "message": "messages[0].attachments[0] (cat.gif): mimeType must be image/png or image/jpeg" })
    );
    assert_eq!(app.get_json("/v1/chats").await.1, json!({ "chats": [] }));

    let (_, created) = app.post_json("/v1/chats", &json!({})).await;
    let id = created["chat"]["id"].as_str().unwrap().to_string();
    let nine: Vec<Value> = (0..9)
        .map(|i| json!({ "kind": "text", "filename": format!("{i}.txt"), "text": "x" }))
        .collect();
    let (status, body) = app
        .post_json(
            &format!("/v1/chats/{id}/messages"),
            &json!({ "role": "user", "content": "x", "attachments": nine }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "message": "attachments: at most 8 attachments per message (got 9)" })
    );
    let (status, body) = app
        .post_json(
            &format!("/v1/chats/{id}/messages"),
            &json!({ "role": "tool", "content": "x", "attachments": [{ "kind": "text", "filename": "a", "text": "b" }] }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "message": "attachments: tool messages cannot have attachments" })
    );
    let (_, detail) = app.get_json(&format!("/v1/chats/{id}")).await;
    assert_eq!(detail["chat"]["messages"], json!([]));
    assert_eq!(detail["chat"]["updatedAt"], created["chat"]["updatedAt"]);
}

#[tokio::test]
async fn messages_append_in_order_and_merge_metadata() {
    let app = spawn_app().await;
    let (_, created) = app.post_json("/v1/chats", &json!({ "title": "" })).await;
    assert_eq!(created["chat"]["title"], Value::Null);
    let id = created["chat"]["id"].as_str().unwrap().to_string();
    let (status, first) = app
        .post_json(
            &format!("/v1/chats/{id}/messages"),
            &json!({ "role": "user", "content": "one", "metadata": { "client": "web" },
                     "attachments": [{ "kind": "text", "filename": "a.txt", "text": "é" }] }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(first["message"]["metadata"]["client"], "web");
    assert_eq!(
        first["message"]["metadata"]["attachments"][0]["sizeBytes"],
        2
    );
    let (_, second) = app
        .post_json(
            &format!("/v1/chats/{id}/messages"),
            &json!({ "role": "assistant", "content": "two" }),
        )
        .await;
    assert_eq!(second["message"]["metadata"], Value::Null);

    let (_, detail) = app.get_json(&format!("/v1/chats/{id}")).await;
    let contents: Vec<&str> = detail["chat"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["one", "two"]);
    assert_eq!(detail["chat"]["messages"][0], first["message"]);
    assert!(detail["chat"]["updatedAt"].as_str() >= created["chat"]["updatedAt"].as_str());
}

#[tokio::test]
async fn rename_list_order_and_delete() {
    let clock = TestClock::now();
    let app = spawn_app_with_clock(&clock).await;
    let (_, a) = app.post_json("/v1/chats", &json!({ "title": "a" })).await;
    clock.advance_ms(1);
    let (_, b) = app.post_json("/v1/chats", &json!({ "title": "b" })).await;
    let a_id = a["chat"]["id"].as_str().unwrap().to_string();
    let b_id = b["chat"]["id"].as_str().unwrap().to_string();

    let (_, list) = app.get_json("/v1/chats").await;
    let ids: Vec<&str> = list["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b_id.as_str(), a_id.as_str()]);

    clock.advance_ms(1);
    let (status, renamed) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/chats/{a_id}"),
            &json!({ "title": "renamed" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(renamed["chat"]["title"], "renamed");
    assert!(renamed["chat"]["updatedAt"].as_str() > a["chat"]["updatedAt"].as_str());
    let (_, list) = app.get_json("/v1/chats").await;
    assert_eq!(list["chats"][0]["id"], a_id.as_str());

    let (status, body) = app
        .send_json(Method::PATCH, &format!("/v1/chats/{a_id}"), &json!({}))
        .await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (400, "invalid request body: missing field `title`")
    );

    let resp = app
        .client
        .delete(app.url(&format!("/v1/chats/{a_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "deleted": true })
    );
    for (method, path) in [
        (Method::GET, format!("/v1/chats/{a_id}")),
        (Method::DELETE, format!("/v1/chats/{a_id}")),
    ] {
        let resp = app
            .client
            .request(method, app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404);
        assert_eq!(
            resp.json::<Value>().await.unwrap(),
            json!({ "message": "chat not found" })
        );
    }
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/chats/{a_id}"),
            &json!({ "title": "x" }),
        )
        .await;
    assert_eq!(
        (status, body),
        (404, json!({ "message": "chat not found" }))
    );
    let (status, _) = app
        .post_json(
            &format!("/v1/chats/{a_id}/messages"),
            &json!({ "role": "user", "content": "x" }),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn provider_and_model_only_together() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json("/v1/chats", &json!({ "provider": "openai" }))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({ "message": "provider and model must be supplied together" })
        )
    );
    let (status, _) = app
        .post_json(
            "/v1/chats",
            &json!({ "model": "gpt-4.1-mini", "provider": null }),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn concurrent_writers_lose_nothing_and_keep_their_order() {
    let app = spawn_app().await;
    let (_, created) = app.post_json("/v1/chats", &json!({})).await;
    let id = created["chat"]["id"].as_str().unwrap().to_string();
    let writers = 8;
    let per_writer = 15;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let client = app.client.clone();
        let url = app.url(&format!("/v1/chats/{id}/messages"));
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let resp = client
                    .post(&url)
                    .json(&json!({ "role": "user", "content": format!("{w}:{i}") }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (_, detail) = app.get_json(&format!("/v1/chats/{id}")).await;
    let messages = detail["chat"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), writers * per_writer);
    for w in 0..writers {
        let mine: Vec<usize> = messages
            .iter()
            .filter_map(|m| {
                let (writer, i) = m["content"].as_str()?.split_once(':')?;
                (writer == w.to_string()).then(|| i.parse().unwrap())
            })
            .collect();
        assert_eq!(mine, (0..per_writer).collect::<Vec<_>>(), "writer {w}");
    }
}

#[tokio::test]
async fn oversized_bodies_get_a_413_the_client_can_read() {
    let app = spawn_app().await;
    let big = vec![b' '; 33 * 1024 * 1024];
    let resp = app
        .client
        .post(app.url("/v1/chats"))
        .header("Content-Type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("the client must see a response, not a reset");
    assert_eq!(resp.status(), 413);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "message": "request body must be at most 33554432 bytes" })
    );

    // Chunked: no Content-Length, so the limit is found while reading.
    let stream = futures::stream::iter(
        big.chunks(1024 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let resp = app
        .client
        .post(app.url("/v1/chats"))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("response to a chunked body");
    assert_eq!(resp.status(), 413);
    assert_eq!(app.get_json("/v1/chats").await.1, json!({ "chats": [] }));
}

#[tokio::test]
async fn token_mode_end_to_end() {
    let app = crate::helpers::spawn_app_with(&[("ADMIN_TOKEN", "tok-123")]).await;
    let resp = app.client.get(app.url("/v1/chats")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("tok-123"));
    let resp = app
        .client
        .get(app.url("/v1/chats"))
        .bearer_auth("tok-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (status, session) = app.get_json("/v1/auth/session").await;
    assert_eq!(
        (status, session),
        (200, json!({ "authenticated": false, "mode": "token" }))
    );
}
