//! serde writes every stream event and chunk; the spec is derived from the
//! same types by poem-openapi. These tests check each event's JSON against
//! its schema in the served spec, so that the two cannot drift apart.

use std::borrow::Cow;
use std::sync::Arc;

use poem_openapi::types::Type;
use serde_json::{Map, Value, json};
use sybil_domain::{Provider, Usage};
use sybil_ports::inbound::chats::MockChatUseCases;
use sybil_ports::inbound::completions::MockCompletionUseCases;
use sybil_ports::inbound::jobs::MockResumableCompletions;
use sybil_ports::inbound::models::MockModelUseCases;
use sybil_ports::inbound::readiness::MockReadinessCheck;
use sybil_ports::inbound::searches::MockSearchUseCases;
use sybil_ports::inbound::{CompletionEvent, CompletionOutcome, StreamMeta, ToolCallEvent};
use sybil_ports::outbound::RawJson;
use sybil_wire::StreamEvent;
use sybil_wire::events::{DeltaEvent, DoneEvent, ErrorEvent, MetaEvent, ToolCallEventBody};
use uuid::Uuid;

use crate::dto::openai_response::{OpenAiChunk, OpenAiErrorEnvelope};
use crate::openai::stream::Chunks;
use crate::{AuthConfig, Services, api_service, spec_json};

/// The component schemas of the spec as served at `/openapi.json`.
fn schemas() -> Map<String, Value> {
    let services = Services {
        chats: Arc::new(MockChatUseCases::new()),
        completions: Arc::new(MockCompletionUseCases::new()),
        models: Arc::new(MockModelUseCases::new()),
        searches: Arc::new(MockSearchUseCases::new()),
        readiness: Arc::new(MockReadinessCheck::new()),
        resumable: Arc::new(MockResumableCompletions::new()),
        accounts: Arc::new(sybil_ports::inbound::accounts::MockAccountUseCases::new()),
        conversations: Arc::new(
            sybil_ports::inbound::conversations::MockConversationUseCases::new(),
        ),
        limits: Arc::new(sybil_ports::inbound::rate_limits::MockRateLimitUseCases::new()),
    };
    let spec: Value =
        serde_json::from_str(&spec_json(&api_service(&services, &AuthConfig::default()))).unwrap();
    spec["components"]["schemas"].as_object().unwrap().clone()
}

/// Why `value` does not fit `schema` (OpenAPI 3.0: `$ref`, `nullable`,
/// `anyOf`/`oneOf`, `enum`, `type`, `required`, `properties`, `items`), or
/// `None`. An object may hold no property its schema does not list.
fn misfit(schemas: &Map<String, Value>, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let name = target.trim_start_matches("#/components/schemas/");
        return misfit(schemas, schemas.get(name)?, value, at);
    }
    if value.is_null() {
        let nullable = schema["nullable"].as_bool().unwrap_or(false);
        return (!nullable).then(|| format!("{at}: null, but not nullable"));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array)
            && options
                .iter()
                .all(|o| misfit(schemas, o, value, at).is_some())
        {
            return Some(format!("{at}: {value} fits none of its {key}"));
        }
    }
    if let Some(names) = schema.get("enum").and_then(Value::as_array)
        && !names.contains(value)
    {
        return Some(format!("{at}: {value} is none of {names:?}"));
    }
    let kind = schema.get("type").and_then(Value::as_str);
    let fits = match kind {
        None => true,
        Some("object") => value.is_object(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some(other) => return Some(format!("{at}: unknown schema type {other}")),
    };
    if !fits {
        return Some(format!(
            "{at}: {value} is not of type {}",
            kind.unwrap_or("")
        ));
    }
    if let (Some(object), Some(properties)) = (
        value.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Some(format!("{at}.{name}: required, missing"));
            }
        }
        for (name, field) in object {
            let Some(property) = properties.get(name) else {
                return Some(format!("{at}.{name}: not in the schema"));
            };
            if let Some(why) = misfit(schemas, property, field, &format!("{at}.{name}")) {
                return Some(why);
            }
        }
    }
    if let (Some(items), Some(item)) = (value.as_array(), schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            if let Some(why) = misfit(schemas, item, v, &format!("{at}[{i}]")) {
                return Some(why);
            }
        }
    }
    None
}

fn assert_fits(schemas: &Map<String, Value>, name: &str, value: &Value) {
    let schema = schemas
        .get(name)
        .unwrap_or_else(|| panic!("no schema {name}"));
    if let Some(why) = misfit(schemas, schema, value, name) {
        panic!("{value} does not fit the spec: {why}");
    }
}

/// The schema the spec gives an event's `data:`.
fn schema_name(event: &StreamEvent) -> Cow<'static, str> {
    match event {
        StreamEvent::Meta(_) => MetaEvent::name(),
        StreamEvent::Delta(_) => DeltaEvent::name(),
        StreamEvent::ToolCall(_) => ToolCallEventBody::name(),
        StreamEvent::Done(_) => DoneEvent::name(),
        StreamEvent::Error(_) => ErrorEvent::name(),
    }
}

/// Each event as serde writes it fits its own schema and the `StreamEvent` union.
fn assert_events_fit(events: Vec<CompletionEvent>) {
    let schemas = schemas();
    for event in events {
        let event = StreamEvent::from(event);
        let json = serde_json::to_value(&event).unwrap();
        assert_fits(&schemas, &schema_name(&event), &json);
        assert_fits(&schemas, &StreamEvent::name(), &json);
    }
}

fn meta(completion_id: Option<Uuid>) -> CompletionEvent {
    CompletionEvent::Meta(Box::new(StreamMeta {
        chat_id: None,
        provider: Provider::Anthropic,
        model: "claude".into(),
        completion_id,
    }))
}

fn done(stopped: bool) -> CompletionEvent {
    CompletionEvent::Done(Box::new(CompletionOutcome {
        chat_id: Some(Uuid::nil()),
        provider: Provider::OpenAi,
        model: "gpt".into(),
        content: "hi".into(),
        message_id: None,
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

fn tool_call(error: Option<&str>) -> CompletionEvent {
    CompletionEvent::ToolCall(Box::new(ToolCallEvent {
        message_id: Some(Uuid::nil()),
        tool_call_id: "call_1".into(),
        name: "web_search".into(),
        arguments: json!({ "query": "q" }),
        status: if error.is_some() {
            "failed"
        } else {
            "completed"
        }
        .into(),
        output: "out".into(),
        error: error.map(str::to_string),
        duration_ms: 5,
        round: 1,
    }))
}

#[test]
fn meta_fits_its_schema_with_and_without_a_completion_id() {
    assert_events_fit(vec![meta(None), meta(Some(Uuid::nil()))]);
}

#[test]
fn delta_fits_its_schema() {
    assert_events_fit(vec![CompletionEvent::Delta {
        text: "a\nb".into(),
    }]);
}

#[test]
fn tool_call_fits_its_schema() {
    assert_events_fit(vec![tool_call(None), tool_call(Some("boom"))]);
}

#[test]
fn done_fits_its_schema_stopped_or_not() {
    assert_events_fit(vec![done(false), done(true)]);
}

#[test]
fn error_fits_its_schema() {
    assert_events_fit(vec![CompletionEvent::Error {
        message: "boom".into(),
    }]);
}

#[test]
fn openai_chunks_fit_their_schema() {
    let schemas = schemas();
    let mut out = Vec::new();
    let mut chunks = Chunks::new("chatcmpl-1".into(), 7, "openai/gpt".into(), true);
    let events = [
        meta(None),
        CompletionEvent::Delta { text: "hi".into() },
        tool_call(None),
        done(false),
    ];
    for event in events {
        chunks.write(event, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    let data: Vec<&str> = text
        .split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .collect();
    assert_eq!(data.len(), 5, "role, delta, stop, usage, [DONE]: {text}");
    assert_eq!(data[4], "[DONE]");
    for chunk in &data[..4] {
        let chunk = serde_json::from_str(chunk).unwrap();
        assert_fits(&schemas, &OpenAiChunk::name(), &chunk);
    }

    let mut out = Vec::new();
    let error = CompletionEvent::Error {
        message: "boom".into(),
    };
    Chunks::new("chatcmpl-1".into(), 7, "m".into(), false).write(error, &mut out);
    let text = String::from_utf8(out).unwrap();
    let error = serde_json::from_str(text.trim().trim_start_matches("data: ")).unwrap();
    assert_fits(&schemas, &OpenAiErrorEnvelope::name(), &error);
}

#[test]
fn a_field_the_spec_lacks_or_a_null_it_forbids_is_a_misfit() {
    let schemas = schemas();
    let check = |value: Value| misfit(&schemas, &schemas["MetaEvent"], &value, "MetaEvent");
    let good = json!({ "chatId": null, "model": "m", "provider": "xai" });
    assert_eq!(check(good), None);
    let extra = json!({ "chatId": null, "model": "m", "provider": "xai", "other": 1 });
    assert!(check(extra).unwrap().contains("other: not in the schema"));
    let null = json!({ "chatId": null, "model": null, "provider": "xai" });
    assert!(check(null).unwrap().contains("not nullable"));
    let unknown = json!({ "chatId": null, "model": "m", "provider": "nobody" });
    assert!(check(unknown).is_some());
    let missing = json!({ "model": "m", "provider": "xai" });
    assert!(check(missing).unwrap().contains("required"));
}
