//! The gateway's measured overhead: the `x-sybil-overhead-ms` header of whole
//! answers on `/v1` and `/openai/v1`, and the `/metrics` histogram that
//! covers streams and resumable jobs too.

use serde_json::json;
use sybil_testkit::Reply;

use crate::helpers::{TestApp, spawn_with_fakes};
use crate::metrics::{metrics_text, sample};
use crate::sse::parse_frames;

const HISTOGRAM: &str = "sybil_completion_overhead_seconds_count";

fn overhead_header(resp: &reqwest::Response) -> f64 {
    resp.headers()
        .get("x-sybil-overhead-ms")
        .expect("x-sybil-overhead-ms")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn completions_measured(app: &TestApp, mode: &str) -> f64 {
    sample(&metrics_text(app).await, HISTOGRAM, &[("mode", mode)]).unwrap_or(0.0)
}

#[tokio::test]
async fn whole_answers_carry_the_overhead_header_on_both_surfaces() {
    let (app, fakes) = spawn_with_fakes().await;
    let before = completions_measured(&app, "whole").await;
    fakes.openai.push(Reply::text("one"));
    let resp = app
        .client
        .post(app.url("/v1/chat-completions"))
        .json(&json!({ "provider": "openai", "model": "gpt-4.1-mini",
                       "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v1 = overhead_header(&resp);
    fakes.xai.push(Reply::text("two"));
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .json(&json!({ "model": "xai/grok-4-fast",
                       "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let openai = overhead_header(&resp);
    // The header is Sybil's own time, far below a whole request's.
    for ms in [v1, openai] {
        assert!((0.0..1000.0).contains(&ms), "{ms}");
    }
    let after = completions_measured(&app, "whole").await;
    assert!(after >= before + 2.0, "{before} -> {after}");
}

#[tokio::test]
async fn streams_and_resumable_jobs_are_measured_in_metrics() {
    let (app, fakes) = spawn_with_fakes().await;
    let streams = completions_measured(&app, "stream").await;
    let jobs = completions_measured(&app, "resumable").await;

    for resumable in [false, true] {
        fakes.anthropic.push(Reply::text("streamed"));
        let resp = app
            .open_stream(
                &json!({ "provider": "anthropic", "model": "claude-sonnet-4-20250514",
                           "resumable": resumable,
                           "messages": [{ "role": "user", "content": "hi" }] }),
            )
            .await;
        assert!(resp.headers().get("x-sybil-overhead-ms").is_none());
        let frames = parse_frames(&resp.text().await.unwrap());
        assert_eq!(frames.last().unwrap().event, "done");
    }
    fakes.openai.push(Reply::text("chunks"));
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .json(&json!({ "model": "openai/gpt-4.1-mini", "stream": true,
                       "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().ends_with("data: [DONE]\n\n"));

    let text = metrics_text(&app).await;
    assert!(
        text.contains("# TYPE sybil_completion_overhead_seconds histogram"),
        "{text}"
    );
    let after_streams = completions_measured(&app, "stream").await;
    assert!(
        after_streams >= streams + 2.0,
        "{streams} -> {after_streams}"
    );
    // Every mode records its figure before it sends `done`.
    let after_jobs = completions_measured(&app, "resumable").await;
    assert!(after_jobs >= jobs + 1.0, "{jobs} -> {after_jobs}");
}
