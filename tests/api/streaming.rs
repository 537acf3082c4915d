//! `POST /v1/chat-completions/stream` end to end, against the fakes'
//! streaming modes.

use std::time::Duration;

use serde_json::{Value, json};
use sybil_testkit::{FakeKind, Reply};

use crate::helpers::{TestApp, eventually, new_chat, spawn_with_fakes};
use crate::sse::{Frame, parse_frames, read_until, text_of};

async fn stream_all(app: &TestApp, body: Value) -> Vec<Frame> {
    let resp = app.open_stream(&body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let frames = parse_frames(&resp.text().await.unwrap());
    let ids: Vec<u64> = frames.iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        (1..=frames.len() as u64).collect::<Vec<_>>(),
        "ids increase from 1"
    );
    frames
}

fn names(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.event.as_str()).collect()
}

fn request(provider: &str, chat: Option<&str>, text: &str) -> Value {
    json!({ "chatId": chat, "provider": provider, "model": "m-1", "messages": [{ "role": "user", "content": text }] })
}

#[tokio::test]
async fn plain_text_streams_meta_deltas_and_done_for_every_provider() {
    let (app, fakes) = spawn_with_fakes().await;
    for (provider, fake) in [
        ("openai", &fakes.openai),
        ("xai", &fakes.xai),
        ("anthropic", &fakes.anthropic),
    ] {
        fake.push(Reply::text("The quick brown fox"));
        let chat = new_chat(&app).await;
        let frames = stream_all(&app, request(provider, Some(&chat), "go")).await;
        let n = frames.len();
        assert_eq!(frames[0].event, "meta");
        assert_eq!(
            frames[0].data,
            json!({ "chatId": chat, "provider": provider, "model": "m-1" })
        );
        assert!(
            names(&frames)[1..n - 1].iter().all(|e| *e == "delta"),
            "{provider}: {:?}",
            names(&frames)
        );
        assert!(n >= 4, "several deltas: {:?}", names(&frames));
        assert_eq!(text_of(&frames), "The quick brown fox");
        let done = &frames[n - 1];
        assert_eq!(done.event, "done");
        assert_eq!(
            done.data["message"],
            json!({ "role": "assistant", "content": "The quick brown fox" })
        );
        assert_eq!(done.data["chatId"], chat.as_str());
        assert!(done.data["usage"]["totalTokens"].as_u64().unwrap() > 0);
        let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
        let last = detail["chat"]["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["id"], done.data["messageId"]);
        assert_eq!(last["content"], "The quick brown fox");
        assert_eq!(last["metadata"], Value::Null);
    }
    assert!(fakes.openai.generation_requests()[0].body["stream"] == json!(true));
}

#[tokio::test]
async fn a_tool_call_is_streamed_after_its_message_is_stored_then_the_next_round() {
    let (app, fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    fakes.openai.push(
        Reply::tool_calls(&[("web_search", r#"{"query":"rust"}"#)]).with_text("Let me check. "),
    );
    fakes.openai.push(Reply::text("Rust is a language."));
    let resp = app
        .open_stream(&request("openai", Some(&chat), "what is rust?"))
        .await;
    let mut resp = resp;
    let mut buffer = String::new();
    let mut checked_tool_message = false;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        if !checked_tool_message
            && let Some(tool) = parse_frames(&buffer)
                .into_iter()
                .find(|f| f.event == "tool_call")
        {
            // At the moment the event arrives, the tool message is already stored.
            let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
            let stored: Vec<Value> = detail["chat"]["messages"].as_array().unwrap().clone();
            assert!(
                stored
                    .iter()
                    .any(|m| m["id"] == tool.data["messageId"] && m["role"] == "tool"),
                "{stored:?}"
            );
            checked_tool_message = true;
        }
    }
    assert!(checked_tool_message);
    let frames = parse_frames(&buffer);
    let events = names(&frames);
    let tool_at = events.iter().position(|e| *e == "tool_call").unwrap();
    assert_eq!(events[0], "meta");
    assert!(
        events[1..tool_at].iter().all(|e| *e == "delta") && tool_at > 1,
        "{events:?}"
    );
    assert!(
        events[tool_at + 1..events.len() - 1]
            .iter()
            .all(|e| *e == "delta"),
        "{events:?}"
    );
    assert_eq!(*events.last().unwrap(), "done");
    let tool = &frames[tool_at].data;
    assert_eq!(tool["name"], "web_search");
    assert_eq!(tool["arguments"], json!({ "query": "rust" }));
    assert_eq!(tool["round"], 1);
    assert_eq!(
        tool["status"], "failed",
        "no search engine is configured in this test"
    );
    assert!(tool["output"].as_str().unwrap().contains("EXA_API_KEY"));
    assert_eq!(tool.as_object().unwrap().len(), 9);
    assert_eq!(
        frames.last().unwrap().data["message"]["content"],
        "Rust is a language."
    );
    assert!(text_of(&frames).starts_with("Let me check. "));
    let round_two = &fakes.openai.generation_requests()[1].body;
    assert!(round_two["previous_response_id"].is_string());
    assert_eq!(round_two["input"][0]["type"], "function_call_output");
}

#[tokio::test]
async fn deltas_arrive_while_the_upstream_is_still_writing() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes
        .xai
        .push(Reply::text("one two three four five").with_chunk_delay(Duration::from_millis(150)));
    let started = std::time::Instant::now();
    let mut resp = app.open_stream(&request("xai", None, "count")).await;
    let mut buffer = String::new();
    let mut first_delta_at = None;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        if first_delta_at.is_none() && buffer.contains("event: delta") {
            first_delta_at = Some(started.elapsed());
        }
    }
    let total = started.elapsed();
    let first = first_delta_at.expect("a delta");
    // The upstream takes at least 5 × 150 ms; the first delta came long before the end.
    assert!(
        total - first >= Duration::from_millis(400),
        "first {first:?}, total {total:?}"
    );
    assert_eq!(text_of(&parse_frames(&buffer)), "one two three four five");
}

#[tokio::test]
async fn a_client_that_disconnects_aborts_the_upstream_and_keeps_the_partial_text() {
    let (app, fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
    fakes
        .anthropic
        .push(Reply::text(&words.join(" ")).with_chunk_delay(Duration::from_millis(100)));
    let mut resp = app
        .open_stream(&request("anthropic", Some(&chat), "talk"))
        .await;
    let buffer = read_until(&mut resp, |frames| {
        frames.iter().filter(|f| f.event == "delta").count() >= 2
    })
    .await;
    let seen = text_of(&parse_frames(&buffer));
    drop(resp);
    assert!(
        fakes
            .anthropic
            .wait_for_aborts(1, Duration::from_secs(5))
            .await,
        "the upstream saw its connection closed"
    );
    let stored = eventually(Duration::from_secs(2), || async {
        let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
        let last = detail["chat"]["messages"]
            .as_array()
            .unwrap()
            .last()
            .cloned();
        last.filter(|m| m["role"] == "assistant")
    })
    .await
    .expect("the partial answer is stored");
    assert_eq!(stored["metadata"], json!({ "stopped": true }));
    let content = stored["content"].as_str().unwrap();
    assert!(
        content.starts_with(&seen) && content.len() < words.join(" ").len(),
        "{content:?} / {seen:?}"
    );
    // The call is recorded just after the message.
    let call = eventually(Duration::from_secs(2), || async {
        app.llm_calls().await.pop()
    })
    .await
    .expect("the call is recorded");
    assert_eq!(call.status, "stopped");
}

#[tokio::test]
async fn upstream_failures_end_with_one_error_event_and_a_consistent_transcript() {
    let (app, fakes) = spawn_with_fakes().await;
    let cases = [
        (
            "openai",
            Reply::stream_error("partial answer here", 2, "The server had an error"),
        ),
        ("xai", Reply::cut_stream("cut off here and there", 2)),
        (
            "anthropic",
            Reply::api_error(FakeKind::Anthropic, 400, "bad request for sure"),
        ),
    ];
    for (provider, reply) in cases {
        let fake = match provider {
            "openai" => &fakes.openai,
            "xai" => &fakes.xai,
            _ => &fakes.anthropic,
        };
        fake.push(reply);
        let chat = new_chat(&app).await;
        let frames = stream_all(&app, request(provider, Some(&chat), "hello")).await;
        let events = names(&frames);
        assert_eq!(events[0], "meta");
        assert_eq!(
            events.iter().filter(|e| **e == "error").count(),
            1,
            "{provider}: {events:?}"
        );
        assert_eq!(*events.last().unwrap(), "error");
        let message = frames.last().unwrap().data["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.starts_with(&format!("{provider} upstream error: ")),
            "{message}"
        );
        assert_eq!(frames.last().unwrap().data.as_object().unwrap().len(), 1);
        let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
        let roles: Vec<&str> = detail["chat"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            ["user"],
            "{provider}: no assistant message after a failure"
        );
    }
    assert_eq!(
        app.llm_calls()
            .await
            .iter()
            .filter(|c| c.status == "error")
            .count(),
        3
    );
}

#[tokio::test]
async fn a_slow_upstream_times_out_into_an_error_event() {
    let (app, fakes) = spawn_with_fakes().await;
    // UPSTREAM_TIMEOUT_MS is 3000 in the fakes' environment.
    fakes
        .openai
        .push(Reply::text("late").with_delay(Duration::from_secs(5)));
    let frames = stream_all(&app, request("openai", None, "hi")).await;
    assert_eq!(names(&frames), ["meta", "error"]);
    assert!(
        frames[1].data["message"]
            .as_str()
            .unwrap()
            .starts_with("openai upstream error: ")
    );
}

#[tokio::test]
async fn checks_answer_json_before_any_event() {
    let (app, _fakes) = spawn_with_fakes().await;
    let resp = app
        .open_stream(&json!({ "provider": "openai", "model": "m", "messages": [] }))
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let resp = app
        .open_stream(&request(
            "openai",
            Some("00000000-0000-7000-8000-000000000000"),
            "x",
        ))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "message": "chat not found" })
    );
}

#[tokio::test]
async fn eight_concurrent_streams_each_get_their_own_text() {
    let (app, fakes) = spawn_with_fakes().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        // The fake answers in arrival order; each stream must get exactly one
        // whole answer, and all eight answers must be distinct.
        fakes.xai.push(
            Reply::text(&format!("answer number {i} end"))
                .with_chunk_delay(Duration::from_millis(20)),
        );
        let client = app.client.clone();
        let url = app.url("/v1/chat-completions/stream");
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&request("xai", None, "x"))
                .send()
                .await
                .unwrap();
            let frames = parse_frames(&resp.text().await.unwrap());
            let text = text_of(&frames);
            assert_eq!(
                frames.last().unwrap().data["message"]["content"],
                text.as_str()
            );
            text
        }));
    }
    let mut texts = Vec::new();
    for t in tasks {
        texts.push(t.await.unwrap());
    }
    texts.sort();
    let mut expected: Vec<String> = (0..8).map(|i| format!("answer number {i} end")).collect();
    expected.sort();
    assert_eq!(texts, expected);
}

#[tokio::test]
async fn meta_is_sent_before_the_upstream_produces_anything() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes
        .openai
        .push(Reply::text("late words").with_chunk_delay(Duration::from_secs(2)));
    let mut resp = app.open_stream(&request("openai", None, "hi")).await;
    let first = tokio::time::timeout(Duration::from_millis(1500), resp.chunk())
        .await
        .expect("the first frame does not wait for the upstream")
        .unwrap()
        .unwrap();
    assert!(
        std::str::from_utf8(&first)
            .unwrap()
            .starts_with("event: meta")
    );
}

#[tokio::test]
async fn a_client_that_leaves_an_idle_stream_aborts_the_upstream_at_once() {
    let (app, fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    // One delta, then the upstream stays silent: nothing is written to the
    // client, so only the connection's end can tell that it left.
    fakes.openai.push(Reply::hold("thinking about it", 1));
    let mut resp = app
        .open_stream(&request("openai", Some(&chat), "take your time"))
        .await;
    read_until(&mut resp, |frames| {
        frames.iter().any(|f| f.event == "delta")
    })
    .await;
    drop(resp);
    assert!(
        fakes
            .openai
            .wait_for_aborts(1, Duration::from_secs(5))
            .await,
        "the upstream call was aborted well before the 15 s ping"
    );
}
