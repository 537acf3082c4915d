//! Replies chosen by request content, and held streams.

use std::time::Duration;

use serde_json::json;

use crate::{FakeKind, FakeLlm, Recorded, Reply};

fn recorded(body: serde_json::Value) -> Recorded {
    Recorded {
        method: "POST".into(),
        path: "/v1/responses".into(),
        query: String::new(),
        headers: Default::default(),
        body,
    }
}

#[test]
fn last_user_text_reads_every_wire_format() {
    let openai = recorded(json!({"input": [
        {"role": "user", "content": [{"type": "input_text", "text": "first"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "reply"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "sec"}, {"type": "input_text", "text": "ond"}]},
        {"type": "function_call_output", "call_id": "call_1", "output": "x"},
    ]}));
    assert_eq!(openai.last_user_text().as_deref(), Some("second"));
    let plain = recorded(json!({"input": "just text"}));
    assert_eq!(plain.last_user_text().as_deref(), Some("just text"));
    let xai = recorded(json!({"messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
    ]}));
    assert_eq!(xai.last_user_text().as_deref(), Some("hello"));
    let anthropic = recorded(json!({"messages": [
        {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image", "source": {}}]},
    ]}));
    assert_eq!(anthropic.last_user_text().as_deref(), Some("look"));
    assert_eq!(recorded(json!({"model": "m"})).last_user_text(), None);
}

async fn ask(fake: &FakeLlm, text: &str, stream: bool) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/responses", fake.base_url()))
        .bearer_auth(fake.api_key())
        .json(&json!({"model": "gpt-4.1-mini", "stream": stream,
                      "input": [{"role": "user", "content": text}]}))
        .send()
        .await
        .expect("reaches the fake")
}

#[tokio::test]
async fn the_responder_matches_replies_to_requests_and_is_not_consumed() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply::text("from the queue"));
    fake.respond_with(|req| {
        let text = req.last_user_text()?;
        let n = text.strip_prefix("q")?;
        Some(if n == "13" {
            Reply::api_error(FakeKind::OpenAi, 500, "boom")
        } else {
            Reply::text(&format!("answer {n}"))
        })
    });
    let texts: Vec<String> = (0..40).map(|n| format!("q{n}")).collect();
    let asks: Vec<_> = texts.iter().map(|t| ask(&fake, t, false)).collect();
    let answers = futures::future::join_all(asks).await;
    for (n, resp) in answers.into_iter().enumerate() {
        if n == 13 {
            assert_eq!(resp.status(), 500);
            continue;
        }
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            body["output"][0]["content"][0]["text"],
            format!("answer {n}")
        );
    }
    // The same request again gets the same reply; an unmatched one takes the queue.
    assert_eq!(ask(&fake, "q13", false).await.status(), 500);
    let body: serde_json::Value = ask(&fake, "other", false).await.json().await.unwrap();
    assert_eq!(body["output"][0]["content"][0]["text"], "from the queue");
}

#[tokio::test]
async fn a_held_stream_sends_its_deltas_then_stays_open() {
    for kind in [FakeKind::OpenAi, FakeKind::Xai, FakeKind::Anthropic] {
        let fake = FakeLlm::start(kind).await;
        fake.push(Reply::hold("one two three", 1));
        let client = reqwest::Client::new();
        let base = fake.base_url();
        let req = match kind {
            FakeKind::OpenAi => client
                .post(format!("{base}/responses"))
                .bearer_auth(fake.api_key())
                .json(&json!({"model": "gpt-4.1-mini", "stream": true, "input": "hi"})),
            FakeKind::Xai => client
                .post(format!("{base}/chat/completions"))
                .bearer_auth(fake.api_key())
                .json(&json!({"model": "grok-4", "stream": true,
                              "messages": [{"role": "user", "content": "hi"}]})),
            FakeKind::Anthropic => client
                .post(format!("{base}/v1/messages"))
                .header("x-api-key", fake.api_key())
                .header("anthropic-version", "2023-06-01")
                .json(
                    &json!({"model": "claude-sonnet-4-5", "stream": true, "max_tokens": 10,
                              "messages": [{"role": "user", "content": "hi"}]}),
                ),
        };
        let mut resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{kind}");
        let mut seen = String::new();
        while !seen.contains("one") {
            let chunk = resp.chunk().await.unwrap().expect("more before the hold");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        // Nothing more comes, and the body does not end.
        let more = tokio::time::timeout(Duration::from_millis(300), resp.chunk()).await;
        assert!(more.is_err(), "{kind}: the held stream went on: {more:?}");
        assert!(!seen.contains("two"), "{kind}: {seen}");
    }
}
