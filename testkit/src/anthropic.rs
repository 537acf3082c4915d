//! The Anthropic Messages fake (docs/decisions.md, "Anthropic Messages" and
//! "Fake upstreams"): required headers, padded SSE frames.

use serde_json::{Value, json};

use crate::answer::{Answer, Tail};
use crate::state::{Recorded, State};
use crate::turn::{Budget, Ending, Stop, Turn, words};
use crate::{errors, models, sse};

const VERSIONS: [&str; 2] = ["2023-06-01", "2023-01-01"];
const MAX_TOKENS_LIMIT: u64 = 64_000;

pub(crate) fn route(state: &State, req: &Recorded) -> Answer {
    let rid = state.next_id("req");
    let answer = match check_headers(state, req) {
        Err((status, message)) => error(status, &message, &rid),
        Ok(()) => match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/v1/messages") => generate(state, req, &rid),
            ("GET", "/v1/models") => match state.models() {
                Ok(ids) => match models::anthropic_page(&ids, &req.query) {
                    Ok(page) => Answer::json(200, &page),
                    Err(message) => error(400, &message, &rid),
                },
                Err(status) => error(status, errors::default_message(status), &rid),
            },
            _ => error(404, "Not found", &rid),
        },
    };
    answer.header("request-id", rid)
}

fn error(status: u16, message: &str, rid: &str) -> Answer {
    Answer::json(status, &errors::anthropic(status, message, rid))
}

fn check_headers(state: &State, req: &Recorded) -> Result<(), (u16, String)> {
    match req.header("x-api-key") {
        None => return Err((401, "x-api-key header is required".to_owned())),
        Some(key) if key != state.key => return Err((401, "invalid x-api-key".to_owned())),
        Some(_) => {}
    }
    match req.header("anthropic-version") {
        None => Err((400, "anthropic-version: header is required".to_owned())),
        Some(v) if !VERSIONS.contains(&v) => Err((
            400,
            format!("anthropic-version: \"{v}\" is not a valid version"),
        )),
        Some(_) => Ok(()),
    }
}

/// The 400 message for a request body the real API would reject.
fn invalid(body: &Value) -> Option<String> {
    if !body.is_object() {
        return Some(
            "There was an error parsing the body of your request: not valid JSON".to_owned(),
        );
    }
    for field in ["model", "max_tokens", "messages"] {
        if body.get(field).is_none() {
            return Some(format!("{field}: Field required"));
        }
    }
    let max = body["max_tokens"].as_u64().unwrap_or_default();
    if max > MAX_TOKENS_LIMIT {
        let model = body["model"].as_str().unwrap_or_default();
        return Some(format!(
            "max_tokens: {max} > {MAX_TOKENS_LIMIT}, which is the maximum allowed number of output tokens for {model}"
        ));
    }
    if body["temperature"]
        .as_f64()
        .is_some_and(|t| !(0.0..=1.0).contains(&t))
    {
        return Some("temperature: range: 0..1".to_owned());
    }
    if body["messages"].as_array().is_some_and(Vec::is_empty) {
        return Some("messages: at least one message is required".to_owned());
    }
    None
}

fn generate(state: &State, req: &Recorded, rid: &str) -> Answer {
    let body = &req.body;
    if let Some(message) = invalid(body) {
        return error(400, &message, rid);
    }
    let stream = body["stream"].as_bool() == Some(true);
    let reply = state.pop(req);
    let malformed =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":\n\n".to_owned();
    if let Some(a) = Answer::common(
        &reply,
        stream.then_some((sse::EVENT_STREAM_UTF8, malformed)),
    ) {
        return a;
    }
    let Some(turn) = Turn::from_reply(&reply.kind) else {
        return error(500, "Internal server error", rid);
    };
    let message = json!({
        "id": state.next_id("msg"), "type": "message", "role": "assistant",
        "model": body["model"], "content": [{"type": "text", "text": turn.text}],
        "stop_reason": "end_turn", "stop_sequence": null, "usage": usage(7),
    });
    let answer = if stream {
        let mut frames = Vec::new();
        let mut budget = turn.budget();
        match (
            write_stream(&mut frames, &message, &turn, &mut budget),
            &turn.ending,
        ) {
            (Err(Stop), Ending::Cut(_)) => {
                Answer::events(sse::EVENT_STREAM_UTF8, frames, Tail::Cut)
            }
            (Err(Stop), Ending::Hold(_)) => {
                Answer::events(sse::EVENT_STREAM_UTF8, frames, Tail::Hold)
            }
            (Err(Stop), Ending::Error(_, msg)) => {
                let err =
                    json!({"type": "error", "error": {"type": "overloaded_error", "message": msg}});
                frames.push(sse::named("error", &err));
                Answer::events(sse::EVENT_STREAM_UTF8, frames, Tail::End)
            }
            _ => Answer::events(sse::EVENT_STREAM_UTF8, frames, Tail::End),
        }
    } else {
        match &turn.ending {
            Ending::Complete => Answer::json(200, &message),
            Ending::Cut(_) => Answer::truncated_json(&message),
            Ending::Error(_, msg) => error(529, msg, rid),
            Ending::Hold(_) => Answer::hang(),
        }
    };
    answer.timed(&reply)
}

/// message_start → content_block_start → ping → deltas → content_block_stop → message_delta → message_stop.
fn write_stream(
    frames: &mut Vec<String>,
    message: &Value,
    turn: &Turn,
    budget: &mut Budget,
) -> Result<(), Stop> {
    let mut start = message.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    start["usage"] = usage(1);
    frames.push(sse::named_padded(
        "message_start",
        &json!({"type": "message_start", "message": start}),
        2,
    ));
    let block = json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}});
    frames.push(sse::named_padded("content_block_start", &block, 1));
    frames.push("event: ping\ndata: {\"type\": \"ping\"}\n\n".to_owned());
    for (i, word) in words(&turn.text).into_iter().enumerate() {
        budget.spend()?;
        let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": word}});
        frames.push(sse::named_padded("content_block_delta", &delta, i % 3 * 4));
    }
    budget.finish()?;
    frames.push(sse::named_padded(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
        4,
    ));
    let delta = json!({
        "type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
        "usage": {"input_tokens": 11, "output_tokens": 7},
    });
    frames.push(sse::named_padded("message_delta", &delta, 3));
    frames.push(sse::named_padded(
        "message_stop",
        &json!({"type": "message_stop"}),
        7,
    ));
    Ok(())
}

fn usage(output_tokens: u64) -> Value {
    json!({
        "input_tokens": 11, "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard",
    })
}
