//! The xAI Chat Completions fake (docs/decisions.md, "xAI Chat Completions" and
//! "Fake upstreams"): data-only SSE ending in `[DONE]`.

use serde_json::{Value, json};

use crate::answer::{Answer, Tail};
use crate::state::{Recorded, State};
use crate::turn::{Budget, Ending, Stop, Turn, pieces, words};
use crate::{FakeKind, errors, models, openai::now_secs, sse};

const FINGERPRINT: &str = "fp_3d7ed3b779";

pub(crate) fn route(state: &State, req: &Recorded) -> Answer {
    if let Err(a) = authorize(state, req) {
        return a;
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/chat/completions") => generate(state, req),
        ("GET", "/v1/models") => match state.models() {
            Ok(ids) => Answer::json(200, &models::openai_list(&ids, FakeKind::Xai)),
            Err(status) => error(status, errors::default_message(status)),
        },
        (_, path) => error(404, &format!("The requested path {path} was not found.")),
    }
}

fn error(status: u16, message: &str) -> Answer {
    Answer::json(status, &errors::xai(status, message))
}

fn authorize(state: &State, req: &Recorded) -> Result<(), Answer> {
    let presented = req
        .header("authorization")
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim());
    match presented {
        Some(key) if key == state.key => Ok(()),
        Some(key) if !key.is_empty() => Err(error(
            400,
            &format!(
                "Incorrect API key provided: {key}. You can obtain an API key from https://console.x.ai."
            ),
        )),
        _ => Err(error(
            400,
            "Missing bearer or basic authentication in header",
        )),
    }
}

fn generate(state: &State, req: &Recorded) -> Answer {
    let body = &req.body;
    if !body.is_object() {
        return error(400, "Failed to parse the request body as JSON.");
    }
    for field in ["model", "messages"] {
        if body.get(field).is_none() {
            return error(
                422,
                &format!(
                    "Failed to deserialize the JSON body into the target type: missing field `{field}`"
                ),
            );
        }
    }
    let stream = body["stream"].as_bool() == Some(true);
    let reply = state.pop(req);
    if let Some(a) = Answer::common(
        &reply,
        stream.then(|| (sse::EVENT_STREAM, "data: {\"id\":\"oops\",\n\n".to_owned())),
    ) {
        return a;
    }
    let Some(turn) = Turn::from_reply(&reply.kind) else {
        return error(500, "Internal error");
    };
    let n = state.next_number("chatcmpl");
    let chat = Chat {
        id: format!("{n:08x}-b37d-ca5d-aee1-0f2d503ee0b8"),
        created: now_secs(),
        model: resolved(body["model"].as_str().unwrap_or_default()),
    };
    let calls: Vec<(String, &str, &str)> = turn
        .calls
        .iter()
        .map(|(name, args)| (state.next_id("call"), name.as_str(), args.as_str()))
        .collect();
    let answer = if stream {
        let include_usage = body["stream_options"]["include_usage"].as_bool() == Some(true);
        let mut frames = Vec::new();
        let mut budget = turn.budget();
        match (
            write_stream(&mut frames, &chat, &turn, &calls, &mut budget),
            &turn.ending,
        ) {
            (Ok(()), _) => {
                if include_usage {
                    frames.push(sse::data(&chat.chunk(json!([]), Some(usage()))));
                }
                frames.push(sse::DONE.to_owned());
                Answer::events(sse::EVENT_STREAM, frames, Tail::End)
            }
            (Err(Stop), Ending::Error(_, message)) => {
                let err = json!({"error": {"message": message, "type": "internal_error", "code": "Internal error"}});
                frames.push(sse::data(&err));
                Answer::events(sse::EVENT_STREAM, frames, Tail::End)
            }
            (Err(Stop), Ending::Hold(_)) => Answer::events(sse::EVENT_STREAM, frames, Tail::Hold),
            (Err(Stop), _) => Answer::events(sse::EVENT_STREAM, frames, Tail::Cut),
        }
    } else {
        let completion = chat.completion(&turn, &calls);
        match &turn.ending {
            Ending::Complete => Answer::json(200, &completion),
            Ending::Cut(_) => Answer::truncated_json(&completion),
            Ending::Error(_, message) => error(500, message),
            Ending::Hold(_) => Answer::hang(),
        }
    };
    answer.timed(&reply)
}

struct Chat {
    id: String,
    created: u64,
    model: String,
}

impl Chat {
    fn chunk(&self, choices: Value, usage: Option<Value>) -> Value {
        let mut c = json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "choices": choices, "system_fingerprint": FINGERPRINT,
        });
        if let Some(u) = usage {
            c["usage"] = u;
        }
        c
    }

    fn completion(&self, turn: &Turn, calls: &[(String, &str, &str)]) -> Value {
        let mut message = json!({"role": "assistant", "content": turn.text, "refusal": null});
        if turn.reasoning {
            message["reasoning_content"] = json!(REASONING);
        }
        let finish = if calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        };
        if !calls.is_empty() {
            let list: Vec<Value> = calls
                .iter()
                .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
                .collect();
            message["tool_calls"] = json!(list);
        }
        json!({
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage(), "system_fingerprint": FINGERPRINT,
        })
    }
}

const REASONING: &str = "Thinking about which tools to call.";

/// Content chunks (no `finish_reason` until the last), calls whole or split, the finish chunk.
fn write_stream(
    frames: &mut Vec<String>,
    chat: &Chat,
    turn: &Turn,
    calls: &[(String, &str, &str)],
    budget: &mut Budget,
) -> Result<(), Stop> {
    let start = frames.len();
    let mut first = true;
    let mut push = |frames: &mut Vec<String>, mut delta: Value| {
        if std::mem::take(&mut first) {
            delta["role"] = json!("assistant");
        }
        frames.push(sse::data(
            &chat.chunk(json!([{"index": 0, "delta": delta}]), None),
        ));
    };
    if turn.reasoning {
        push(frames, json!({"reasoning_content": REASONING}));
    }
    for word in words(&turn.text) {
        budget.spend()?;
        push(frames, json!({"content": word}));
    }
    for (index, (id, name, args)) in calls.iter().enumerate() {
        if turn.split {
            let head = json!({"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}});
            push(frames, json!({"tool_calls": [head]}));
            for piece in pieces(args) {
                budget.spend()?;
                push(
                    frames,
                    json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                );
            }
        } else {
            budget.spend()?;
            let call = json!({"id": id, "function": {"name": name, "arguments": args}, "index": index, "type": "function"});
            push(frames, json!({"tool_calls": [call]}));
        }
    }
    budget.finish()?;
    if frames.len() == start {
        push(frames, json!({"content": ""}));
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    frames.push(sse::data(&chat.chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": finish}]),
        None,
    )));
    Ok(())
}

/// xAI's `total_tokens` includes reasoning: 11 + 7 + 3.
fn usage() -> Value {
    json!({
        "prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 21,
        "prompt_tokens_details": {"text_tokens": 11, "audio_tokens": 0, "image_tokens": 0, "cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 3, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        "num_sources_used": 0,
    })
}

fn resolved(model: &str) -> String {
    match model {
        "grok-4-fast" => "grok-4-fast-reasoning",
        other => other,
    }
    .to_owned()
}
