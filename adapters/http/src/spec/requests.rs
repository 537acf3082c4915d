//! Rules of request bodies that the code enforces and poem cannot write:
//! closed objects on `/v1`, `null` meaning absent.

use std::collections::BTreeSet;

use serde_yaml::{Mapping, Value};

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// Writes `additionalProperties: false` on every object schema that a `/v1`
/// request body reaches: those bodies are parsed with unknown fields denied
/// (the contract's 400), so a generator must not invent fields.
pub(super) fn close_request_objects(spec: &mut Value) {
    let reached = request_schemas(spec, |path| path.starts_with("/v1/"));
    let Some(schemas) = component_schemas(spec) else {
        return;
    };
    for name in reached {
        if let Some(map) = schemas
            .get_mut(name.as_str())
            .and_then(Value::as_mapping_mut)
            && map.contains_key("properties")
            && !map.contains_key("additionalProperties")
        {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
}

/// Marks `nullable` every optional property of an object schema that a
/// request body reaches: in a request, `null` for an optional field means
/// absent, so the spec allows what the server accepts.
pub(super) fn null_means_absent_in_requests(spec: &mut Value) {
    let reached = request_schemas(spec, |_| true);
    let Some(schemas) = component_schemas(spec) else {
        return;
    };
    for name in reached {
        let Some(map) = schemas
            .get_mut(name.as_str())
            .and_then(Value::as_mapping_mut)
        else {
            continue;
        };
        let required: Vec<Value> = map
            .get("required")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        let Some(props) = map.get_mut("properties").and_then(Value::as_mapping_mut) else {
            continue;
        };
        for (key, prop) in props.iter_mut() {
            if required.contains(key) {
                continue;
            }
            if let Some(prop) = prop.as_mapping_mut() {
                // Beside a bare `$ref` every other key is ignored.
                if let Some(target) = prop.remove("$ref") {
                    let mut reference = Mapping::new();
                    reference.insert("$ref".into(), target);
                    prop.insert("anyOf".into(), Value::Sequence(vec![reference.into()]));
                }
                prop.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
}

fn component_schemas(spec: &mut Value) -> Option<&mut Mapping> {
    spec.get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_mapping_mut)
}

/// The names of the component schemas that the request bodies of the paths
/// `path_filter` accepts reach, directly or through other schemas.
fn request_schemas(spec: &Value, path_filter: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let mut pending = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_mapping) {
        for (path, ops) in paths {
            if !path.as_str().is_some_and(&path_filter) {
                continue;
            }
            for (_, op) in ops.as_mapping().into_iter().flatten() {
                if let Some(body) = op.get("requestBody") {
                    collect_refs(body, &mut pending);
                }
            }
        }
    }
    let schemas = spec
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping);
    let mut reached = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone())
            && let Some(schema) = schemas.and_then(|s| s.get(name.as_str()))
        {
            collect_refs(schema, &mut pending);
        }
    }
    reached
}

/// The component names of every `$ref` inside `value`.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    (Some("$ref"), Some(target)) => {
                        if let Some(name) = target.strip_prefix(SCHEMA_REF_PREFIX) {
                            out.push(name.to_string());
                        }
                    }
                    _ => collect_refs(inner, out),
                }
            }
        }
        Value::Sequence(list) => list.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
