//! The wire form of every event, byte for byte as the stream has always
//! sent it (keys sorted), and its way back from a recorded event.

use serde_json::json;
use sybil_domain::{Provider, Usage};
use sybil_ports::inbound::{CompletionEvent, CompletionOutcome, StreamMeta, ToolCallEvent};
use sybil_ports::outbound::RawJson;
use uuid::Uuid;

use crate::events::StreamEvent;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn meta(completion_id: Option<Uuid>) -> CompletionEvent {
    CompletionEvent::Meta(Box::new(StreamMeta {
        chat_id: Some(id(1)),
        provider: Provider::OpenAi,
        model: "gpt".into(),
        completion_id,
    }))
}

fn tool_call() -> CompletionEvent {
    CompletionEvent::ToolCall(Box::new(ToolCallEvent {
        message_id: None,
        tool_call_id: "call_1".into(),
        name: "web_search".into(),
        arguments: json!({ "query": "q", "limit": 3 }),
        status: "failed".into(),
        output: "boom".into(),
        error: Some("boom".into()),
        duration_ms: 12,
        round: 2,
    }))
}

fn done(stopped: bool) -> CompletionEvent {
    CompletionEvent::Done(Box::new(CompletionOutcome {
        chat_id: None,
        provider: Provider::Xai,
        model: "grok".into(),
        content: "hi".into(),
        message_id: Some(id(2)),
        usage: Usage {
            input_tokens: 1,
            output_tokens: 2,
            total_tokens: 3,
        },
        raw: RawJson::null(),
        stopped,
        overhead_ms: 0.0,
    }))
}

/// Every kind of event, with the `data:` the stream sent before these types.
fn cases() -> Vec<(CompletionEvent, &'static str, &'static str)> {
    vec![
        (
            meta(None),
            "meta",
            r#"{"chatId":"00000000-0000-0000-0000-000000000001","model":"gpt","provider":"openai"}"#,
        ),
        (
            meta(Some(id(3))),
            "meta",
            r#"{"chatId":"00000000-0000-0000-0000-000000000001","completionId":"00000000-0000-0000-0000-000000000003","model":"gpt","provider":"openai"}"#,
        ),
        (
            CompletionEvent::Delta {
                text: "a\nb \"c\" é".into(),
            },
            "delta",
            r#"{"text":"a\nb \"c\" é"}"#,
        ),
        (
            tool_call(),
            "tool_call",
            r#"{"arguments":{"limit":3,"query":"q"},"durationMs":12,"error":"boom","messageId":null,"name":"web_search","output":"boom","round":2,"status":"failed","toolCallId":"call_1"}"#,
        ),
        (
            done(false),
            "done",
            r#"{"chatId":null,"message":{"content":"hi","role":"assistant"},"messageId":"00000000-0000-0000-0000-000000000002","model":"grok","provider":"xai","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}"#,
        ),
        (
            done(true),
            "done",
            r#"{"chatId":null,"message":{"content":"hi","metadata":{"stopped":true},"role":"assistant"},"messageId":"00000000-0000-0000-0000-000000000002","model":"grok","provider":"xai","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}"#,
        ),
        (
            CompletionEvent::Error {
                message: "openai upstream error: boom".into(),
            },
            "error",
            r#"{"message":"openai upstream error: boom"}"#,
        ),
    ]
}

#[test]
fn every_event_is_written_as_the_stream_always_wrote_it() {
    for (event, name, data) in cases() {
        let wire = StreamEvent::from(event);
        assert_eq!(wire.event_name(), name);
        assert_eq!(serde_json::to_string(&wire).unwrap(), data);
    }
}

#[test]
fn a_recorded_event_reads_back_as_the_event_it_was() {
    for (event, name, data) in cases() {
        let stored = serde_json::from_str(data).unwrap();
        let read = StreamEvent::from_parts(name, stored).unwrap();
        assert_eq!(read, StreamEvent::from(event.clone()));
        assert_eq!(CompletionEvent::try_from(read), Ok(event));
    }
}

#[test]
fn a_recorded_event_of_another_shape_is_refused() {
    assert!(StreamEvent::from_parts("ping", json!({})).is_err());
    assert!(StreamEvent::from_parts("delta", json!({ "message": "x" })).is_err());
    let bad_id = json!({ "chatId": "nope", "model": "m", "provider": "openai" });
    let meta = StreamEvent::from_parts("meta", bad_id).unwrap();
    assert!(CompletionEvent::try_from(meta).is_err());
}
