//! `/metrics`: requests by route template, upstream and tool calls, and
//! the helpers that read samples from the exposition text.

use serde_json::json;
use sybil_testkit::Reply;

use crate::helpers::{TestApp, new_chat, spawn_with_fakes, user};

pub async fn metrics_text(app: &TestApp) -> String {
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    resp.text().await.unwrap()
}

/// The value of the sample of `name` that has every one of `labels`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_label_requests_by_route_template_method_and_status() {
    let (app, _fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    assert_eq!(app.get_json(&format!("/v1/chats/{chat}")).await.0, 200);
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(app.get_json(&format!("/v1/chats/{unknown}")).await.0, 404);
    assert_eq!(app.get_json("/no/such/path").await.0, 404);
    let (status, _) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 200);

    let text = metrics_text(&app).await;
    for (name, kind) in [
        ("sybil_http_requests_total", "counter"),
        ("sybil_http_request_duration_seconds", "histogram"),
        ("sybil_upstream_calls_total", "counter"),
        ("sybil_upstream_call_duration_seconds", "histogram"),
        ("sybil_open_streams", "gauge"),
    ] {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "HELP {name}\n{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "TYPE {name}\n{text}"
        );
    }
    let requests = |route, method, status| {
        sample(
            &text,
            "sybil_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
        .unwrap_or(0.0)
    };
    assert!(requests("/v1/chats/:chatId", "GET", "200") >= 1.0, "{text}");
    assert!(requests("/v1/chats/:chatId", "GET", "404") >= 1.0);
    assert!(requests("/v1/chats", "POST", "201") >= 1.0);
    assert!(requests("unmatched", "GET", "404") >= 1.0);
    assert!(requests("/v1/chat-completions", "POST", "200") >= 1.0);
    assert!(!text.contains(&chat), "raw ids never become labels");
    assert!(
        text.contains("sybil_http_request_duration_seconds_bucket{")
            && text.contains("le=\"0.005\""),
        "latency buckets"
    );
    let upstream = sample(
        &text,
        "sybil_upstream_calls_total",
        &[("provider", "openai"), ("outcome", "ok")],
    );
    assert!(upstream.unwrap_or(0.0) >= 1.0, "{text}");
}

#[tokio::test]
async fn metrics_count_tool_calls_by_tool_and_status() {
    let (app, fakes) = spawn_with_fakes().await;
    // Loopback is refused by fetch_url's private-network guard: a failed call.
    fakes.openai.push(Reply::tool_calls(&[(
        "fetch_url",
        r#"{"url":"http://127.0.0.1:9/"}"#,
    )]));
    fakes.openai.push(Reply::text("Could not read it."));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("read it")] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = metrics_text(&app).await;
    assert!(
        text.contains("# TYPE sybil_tool_calls_total counter"),
        "{text}"
    );
    let failed = sample(
        &text,
        "sybil_tool_calls_total",
        &[("tool", "fetch_url"), ("status", "failed")],
    );
    assert!(failed.unwrap_or(0.0) >= 1.0, "{text}");
}
