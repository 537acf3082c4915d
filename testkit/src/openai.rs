//! The OpenAI Responses fake (docs/decisions.md, "OpenAI Responses" and "Fake
//! upstreams"): auth, validation, stored responses.

use serde_json::{Value, json};

use crate::answer::Answer;
use crate::state::{Recorded, State, Stored};
use crate::turn::{Ending, Turn};
use crate::{FakeKind, errors, models, openai_stream, sse};

pub(crate) fn route(state: &State, req: &Recorded) -> Answer {
    let answer = match authorize(state, req) {
        Err(a) => a,
        Ok(()) => match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/v1/responses") => generate(state, req).unwrap_or_else(|a| a),
            ("GET", "/v1/models") => match state.models() {
                Ok(ids) => Answer::json(200, &models::openai_list(&ids, FakeKind::OpenAi)),
                Err(status) => error(status, errors::default_message(status), None, None),
            },
            ("GET", path) if path.starts_with("/v1/responses/") => {
                let id = path.trim_start_matches("/v1/responses/");
                match state.stored(id) {
                    Some(stored) => Answer::json(200, &stored.body),
                    None => error(
                        404,
                        &format!("Response with id '{id}' not found."),
                        None,
                        None,
                    ),
                }
            }
            (method, path) => error(404, &format!("Invalid URL ({method} {path})"), None, None),
        },
    };
    answer.header("x-request-id", state.next_id("req"))
}

fn error(status: u16, message: &str, param: Option<&str>, code: Option<&str>) -> Answer {
    Answer::json(status, &errors::openai(status, message, param, code))
}

fn bad_input(message: String) -> Answer {
    error(400, &message, Some("input"), None)
}

fn authorize(state: &State, req: &Recorded) -> Result<(), Answer> {
    let presented = req
        .header("authorization")
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim());
    match presented {
        Some(key) if key == state.key => Ok(()),
        Some(key) if !key.is_empty() => Err(error(
            401,
            &format!(
                "Incorrect API key provided: {key}. You can find your API key at https://platform.openai.com/account/api-keys."
            ),
            None,
            Some("invalid_api_key"),
        )),
        _ => Err(error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
            None,
            None,
        )),
    }
}

fn generate(state: &State, req: &Recorded) -> Result<Answer, Answer> {
    let body = &req.body;
    if !body.is_object() {
        return Err(error(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            None,
            None,
        ));
    }
    let Some(model) = body["model"].as_str() else {
        return Err(error(
            400,
            "Missing required parameter: 'model'.",
            Some("model"),
            Some("missing_required_parameter"),
        ));
    };
    if is_reasoning_model(model) && body["temperature"].as_f64().is_some_and(|t| t != 1.0) {
        return Err(error(
            400,
            "Unsupported parameter: 'temperature' is not supported with this model.",
            Some("temperature"),
            Some("unsupported_parameter"),
        ));
    }
    let previous = match body["previous_response_id"].as_str() {
        None => None,
        Some(id) => Some(state.stored(id).ok_or_else(|| {
            error(
                400,
                &format!("Previous response with id '{id}' not found."),
                Some("previous_response_id"),
                Some("previous_response_not_found"),
            )
        })?),
    };
    check_input(state, body, previous.as_ref())?;

    let stream = body["stream"].as_bool() == Some(true);
    let reply = state.pop(req);
    let malformed =
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\n\n"
            .to_owned();
    if let Some(a) = Answer::common(
        &reply,
        stream.then_some((sse::EVENT_STREAM_UTF8, malformed)),
    ) {
        return Ok(a);
    }
    let Some(turn) = Turn::from_reply(&reply.kind) else {
        return Ok(Answer::json(200, &json!({})).timed(&reply));
    };

    let completed = build_response(state, body, model, &turn);
    let store = body["store"].as_bool() != Some(false);
    if store && turn.ending == Ending::Complete {
        remember(state, &completed, previous.as_ref());
    }
    let answer = if stream {
        let obfuscate = body["stream_options"]["include_obfuscation"].as_bool() != Some(false);
        let (frames, tail) = openai_stream::frames(&completed, &turn, obfuscate);
        Answer::events(sse::EVENT_STREAM_UTF8, frames, tail)
    } else {
        match &turn.ending {
            Ending::Complete => Answer::json(200, &completed),
            Ending::Cut(_) => Answer::truncated_json(&completed),
            Ending::Error(_, message) => error(500, message, None, Some("server_error")),
            Ending::Hold(_) => Answer::hang(),
        }
    };
    Ok(answer.timed(&reply))
}

fn is_reasoning_model(model: &str) -> bool {
    (model.starts_with("gpt-5") && !model.starts_with("gpt-5-chat"))
        || ["o1", "o3", "o4"].iter().any(|p| model.starts_with(p))
}

/// Every `call_id` answered, every output matched to a call, reasoning replayable.
fn check_input(state: &State, body: &Value, previous: Option<&Stored>) -> Result<(), Answer> {
    let items = body["input"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let of_type = |t: &str| -> Vec<&str> {
        items
            .iter()
            .filter(|i| i["type"] == t)
            .filter_map(|i| i["call_id"].as_str())
            .collect()
    };
    let outputs = of_type("function_call_output");
    let calls = of_type("function_call");
    let pending: Vec<&str> = previous
        .map(|p| p.call_ids.iter().map(String::as_str).collect())
        .unwrap_or_default();
    // Outputs may answer any call of the chain of stored responses.
    let known: Vec<&str> = previous
        .map(|p| p.chain_call_ids.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(id) = pending
        .iter()
        .chain(&calls)
        .find(|id| !outputs.contains(id))
    {
        return Err(bad_input(format!(
            "No tool output found for function call {id}."
        )));
    }
    if let Some(id) = outputs
        .iter()
        .find(|id| !known.contains(id) && !calls.contains(id))
    {
        return Err(bad_input(format!(
            "No tool call found for function call output with call_id {id}."
        )));
    }
    let bare_reasoning = items
        .iter()
        .filter(|i| i["type"] == "reasoning" && i["encrypted_content"].is_null())
        .filter_map(|i| i["id"].as_str())
        .find(|id| !state.knows_reasoning(id));
    if let Some(id) = bare_reasoning {
        return Err(bad_input(format!(
            "Item with id '{id}' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input."
        )));
    }
    Ok(())
}

fn remember(state: &State, completed: &Value, previous: Option<&Stored>) {
    let output = completed["output"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let ids = |t: &str, field: &str| -> Vec<String> {
        output
            .iter()
            .filter(|i| i["type"] == t)
            .filter_map(|i| i[field].as_str().map(str::to_owned))
            .collect()
    };
    let stored = Stored {
        body: completed.clone(),
        call_ids: ids("function_call", "call_id"),
        chain_call_ids: previous
            .map(|p| p.chain_call_ids.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(ids("function_call", "call_id"))
            .collect(),
        reasoning_ids: ids("reasoning", "id"),
    };
    if let Some(id) = completed["id"].as_str() {
        state.store(id.to_owned(), stored);
    }
}

/// The completed Response object for `turn`, echoing the request's settings.
fn build_response(state: &State, body: &Value, model: &str, turn: &Turn) -> Value {
    let mut output = Vec::new();
    if turn.reasoning {
        let mut item = json!({"id": state.next_id("rs"), "type": "reasoning", "summary": []});
        let include = body["include"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if include.iter().any(|i| i == "reasoning.encrypted_content") {
            item["encrypted_content"] = json!(format!(
                "gAAAAABfake-{}",
                item["id"].as_str().unwrap_or_default()
            ));
        }
        output.push(item);
    }
    if !turn.text.is_empty() || turn.calls.is_empty() {
        output.push(json!({
            "id": state.next_id("msg"), "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": turn.text, "annotations": [], "logprobs": []}],
        }));
    }
    for (name, arguments) in &turn.calls {
        let n = state.next_number("fc");
        output.push(json!({
            "id": format!("fc_{n}"), "type": "function_call", "status": "completed",
            "call_id": format!("call_{n}"), "name": name, "arguments": arguments,
        }));
    }
    let now = now_secs();
    let echo = |k: &str, default: Value| {
        body.get(k)
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(default)
    };
    json!({
        "id": state.next_id("resp"), "object": "response", "created_at": now, "status": "completed",
        "background": false, "completed_at": now, "error": null, "incomplete_details": null,
        "instructions": echo("instructions", Value::Null),
        "max_output_tokens": echo("max_output_tokens", Value::Null),
        "model": resolved(model), "output": output,
        "parallel_tool_calls": echo("parallel_tool_calls", json!(true)),
        "previous_response_id": echo("previous_response_id", Value::Null),
        "reasoning": {"effort": body["reasoning"]["effort"], "summary": null},
        "store": echo("store", json!(true)), "temperature": echo("temperature", json!(1.0)),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": echo("tool_choice", json!("auto")), "tools": echo("tools", json!([])),
        "top_p": 1.0, "truncation": "disabled", "user": null, "metadata": echo("metadata", json!({})),
        "usage": {
            "input_tokens": 11, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": if turn.reasoning { 3 } else { 0 }},
            "total_tokens": 18,
        },
    })
}

/// The snapshot name the real API echoes for a few aliases.
fn resolved(model: &str) -> String {
    match model {
        "gpt-5" => "gpt-5-2025-08-07",
        "gpt-5-mini" => "gpt-5-mini-2025-08-07",
        "gpt-4.1-mini" => "gpt-4.1-mini-2025-04-14",
        "gpt-4o-mini" => "gpt-4o-mini-2024-07-18",
        "o3-mini" => "o3-mini-2025-01-31",
        other => other,
    }
    .to_owned()
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
