//! An event stream's schema, rewritten as one event the way SSE clients
//! parse it.

use serde_yaml::{Mapping, Value};

/// `schema: {$ref: X}` of an event stream becomes the schema of one event,
/// which is what an SSE client (and schemathesis) checks: `data` is text
/// holding the JSON of `X` (or OpenAI's closing `[DONE]`).
pub(super) fn describe_events(media: &mut Value) {
    let Some(target) = media
        .get("schema")
        .filter(|s| s.get("$ref").is_some())
        .cloned()
    else {
        return;
    };
    let mut string = Mapping::new();
    string.insert("type".into(), "string".into());
    let mut properties = Mapping::new();
    for name in ["event", "id", "data"] {
        properties.insert(name.into(), Value::Mapping(string.clone()));
    }
    let mut event = Mapping::new();
    event.insert("type".into(), "object".into());
    event.insert(
        "description".into(),
        "One server-sent event as an SSE client reads it; `data` is the JSON text of \
         `x-data-schema` (an OpenAI stream ends with `data: [DONE]`)."
            .into(),
    );
    event.insert("required".into(), Value::Sequence(vec!["data".into()]));
    event.insert("properties".into(), Value::Mapping(properties));
    event.insert("x-data-schema".into(), target);
    if let Some(media) = media.as_mapping_mut() {
        media.insert("schema".into(), Value::Mapping(event));
    }
}
