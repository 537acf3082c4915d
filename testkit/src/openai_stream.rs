//! OpenAI Responses streaming: the event sequence of a completed response
//! (docs/decisions.md, "OpenAI Responses").

use serde_json::{Value, json};

use crate::answer::Tail;
use crate::sse;
use crate::turn::{Budget, Ending, Stop, Turn, pieces, words};

/// The SSE frames streaming `completed`, and what follows them.
pub(crate) fn frames(completed: &Value, turn: &Turn, obfuscate: bool) -> (Vec<String>, Tail) {
    let mut w = Writer {
        frames: Vec::new(),
        seq: 0,
        obfuscate,
    };
    let mut budget = turn.budget();
    match (write(&mut w, completed, &mut budget), &turn.ending) {
        (Err(Stop), Ending::Cut(_)) => (w.frames, Tail::Cut),
        (Err(Stop), Ending::Hold(_)) => (w.frames, Tail::Hold),
        (Err(Stop), Ending::Error(_, message)) => {
            let error = json!({"type": "server_error", "code": "server_error", "message": message, "param": null});
            w.push("error", json!({"error": error}));
            (w.frames, Tail::End)
        }
        _ => (w.frames, Tail::End),
    }
}

struct Writer {
    frames: Vec<String>,
    seq: u64,
    obfuscate: bool,
}

impl Writer {
    fn push(&mut self, event: &str, mut payload: Value) {
        payload["type"] = json!(event);
        payload["sequence_number"] = json!(self.seq);
        self.seq += 1;
        self.frames.push(sse::named(event, &payload));
    }

    fn delta(&mut self, event: &str, mut payload: Value) {
        if self.obfuscate {
            let len = payload["delta"].as_str().map_or(0, str::len);
            payload["obfuscation"] =
                json!("wBGy3C8mQzT1kLpX"[..16usize.saturating_sub(len).max(2)]);
        }
        self.push(event, payload);
    }
}

fn write(w: &mut Writer, completed: &Value, budget: &mut Budget) -> Result<(), Stop> {
    let mut shell = completed.clone();
    shell["status"] = json!("in_progress");
    shell["output"] = json!([]);
    shell["usage"] = Value::Null;
    shell["completed_at"] = Value::Null;
    w.push("response.created", json!({"response": shell}));
    w.push("response.in_progress", json!({"response": shell}));

    let output = completed["output"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (index, item) in output.iter().enumerate() {
        match item["type"].as_str() {
            Some("message") => message(w, index, item, budget)?,
            Some("function_call") => function_call(w, index, item, budget)?,
            _ => {
                let mut partial = item.clone();
                if let Some(obj) = partial.as_object_mut() {
                    obj.remove("encrypted_content");
                }
                w.push(
                    "response.output_item.added",
                    json!({"output_index": index, "item": partial}),
                );
                w.push(
                    "response.output_item.done",
                    json!({"output_index": index, "item": item}),
                );
            }
        }
    }
    budget.finish()?;
    w.push("response.completed", json!({"response": completed}));
    Ok(())
}

fn message(w: &mut Writer, index: usize, item: &Value, budget: &mut Budget) -> Result<(), Stop> {
    let id = &item["id"];
    let part = &item["content"][0];
    let text = part["text"].as_str().unwrap_or_default();
    let mut open = item.clone();
    open["status"] = json!("in_progress");
    open["content"] = json!([]);
    w.push(
        "response.output_item.added",
        json!({"output_index": index, "item": open}),
    );
    let empty = json!({"type": "output_text", "text": "", "annotations": [], "logprobs": []});
    let at = json!({"item_id": id, "output_index": index, "content_index": 0});
    w.push("response.content_part.added", with(&at, "part", empty));
    for delta in words(text) {
        budget.spend()?;
        let mut payload = with(&at, "delta", json!(delta));
        payload["logprobs"] = json!([]);
        w.delta("response.output_text.delta", payload);
    }
    let mut done = with(&at, "text", json!(text));
    done["logprobs"] = json!([]);
    w.push("response.output_text.done", done);
    w.push(
        "response.content_part.done",
        with(&at, "part", part.clone()),
    );
    w.push(
        "response.output_item.done",
        json!({"output_index": index, "item": item}),
    );
    Ok(())
}

fn function_call(
    w: &mut Writer,
    index: usize,
    item: &Value,
    budget: &mut Budget,
) -> Result<(), Stop> {
    let arguments = item["arguments"].as_str().unwrap_or_default();
    let mut open = item.clone();
    open["status"] = json!("in_progress");
    open["arguments"] = json!("");
    w.push(
        "response.output_item.added",
        json!({"output_index": index, "item": open}),
    );
    let at = json!({"item_id": item["id"], "output_index": index});
    for piece in pieces(arguments) {
        budget.spend()?;
        w.delta(
            "response.function_call_arguments.delta",
            with(&at, "delta", json!(piece)),
        );
    }
    // The recorded `.done` event carries no `name`.
    w.push(
        "response.function_call_arguments.done",
        with(&at, "arguments", json!(arguments)),
    );
    w.push(
        "response.output_item.done",
        json!({"output_index": index, "item": item}),
    );
    Ok(())
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut v = base.clone();
    v[key] = value;
    v
}
