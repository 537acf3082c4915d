//! Schema by schema: poem's output rewritten where it misleads code
//! generators, and unsigned integers given their range.

use serde_yaml::{Mapping, Value};

/// Keys that annotate a schema without constraining it.
const ANNOTATIONS: &[&str] = &[
    "description",
    "nullable",
    "default",
    "deprecated",
    "example",
    "readOnly",
    "writeOnly",
    "title",
];

/// Fixes one schema and, recursively, the schemas inside it.
pub(super) fn visit(schema: &mut Value) {
    let Some(map) = schema.as_mapping_mut() else {
        return;
    };
    flatten_annotated_ref(map);
    require_nullable_properties(map);
    untype_mixed_unions(map);
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = map.get_mut(key).and_then(Value::as_sequence_mut) {
            list.iter_mut().for_each(visit);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = map.get_mut(key) {
            visit(inner);
        }
    }
    if let Some(props) = map.get_mut("properties").and_then(Value::as_mapping_mut) {
        for (_, prop) in props.iter_mut() {
            visit(prop);
        }
    }
}

/// `allOf: [{$ref}, {description, nullable}]` → `anyOf: [{$ref}]`, with the
/// annotations (already copied beside `allOf` by poem) kept as siblings.
fn flatten_annotated_ref(map: &mut Mapping) {
    let Some(all_of) = map.get("allOf").and_then(Value::as_sequence) else {
        return;
    };
    let is_ref = |v: &Value| {
        v.as_mapping()
            .is_some_and(|m| m.len() == 1 && m.contains_key("$ref"))
    };
    let is_annotation = |v: &Value| {
        v.as_mapping().is_some_and(|m| {
            m.keys()
                .all(|k| k.as_str().is_some_and(|k| ANNOTATIONS.contains(&k)))
        })
    };
    let refs: Vec<&Value> = all_of.iter().filter(|v| is_ref(v)).collect();
    if refs.len() != 1 || !all_of.iter().all(|v| is_ref(v) || is_annotation(v)) {
        return;
    }
    let target = refs[0].clone();
    for part in all_of
        .iter()
        .filter(|v| is_annotation(v))
        .cloned()
        .collect::<Vec<_>>()
    {
        if let Value::Mapping(part) = part {
            for (k, v) in part {
                map.entry(k).or_insert(v);
            }
        }
    }
    map.remove("allOf");
    map.insert("anyOf".into(), Value::Sequence(vec![target]));
}

/// poem writes `type: object` beside every union, even one of a string and
/// an array (an OpenAI message's `content`), which no value then matches;
/// such a union keeps only its alternatives.
fn untype_mixed_unions(map: &mut Mapping) {
    if map.get("type").and_then(Value::as_str) != Some("object") {
        return;
    }
    let mixed = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|key| map.get(*key).and_then(Value::as_sequence))
        .flatten()
        .any(|alt| {
            alt.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "object")
        });
    if mixed {
        map.remove("type");
    }
}

/// Lists every `nullable` property of an object schema in `required`.
fn require_nullable_properties(map: &mut Mapping) {
    let Some(props) = map.get("properties").and_then(Value::as_mapping) else {
        return;
    };
    let nullable: Vec<Value> = props
        .iter()
        .filter(|(_, p)| p.get("nullable").and_then(Value::as_bool) == Some(true))
        .map(|(k, _)| k.clone())
        .collect();
    if nullable.is_empty() {
        return;
    }
    let required = map
        .entry("required".into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if let Some(list) = required.as_sequence_mut() {
        for name in nullable {
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
}

/// poem writes a Rust unsigned integer as `type: integer` with `format:
/// uint64` (or `uint32`…) alone; its range is added as `minimum` and
/// `maximum`, wherever the schema is (components, parameters, headers).
pub(super) fn bound_unsigned_integers(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            let max = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(u64::from(u8::MAX)),
                Some("uint16") => Some(u64::from(u16::MAX)),
                Some("uint32") => Some(u64::from(u32::MAX)),
                Some("uint64") => Some(u64::MAX),
                _ => None,
            };
            if let Some(max) = max.filter(|_| map.get("type") == Some(&"integer".into())) {
                map.entry("minimum".into()).or_insert(Value::from(0u64));
                map.entry("maximum".into()).or_insert(Value::from(max));
            }
            for (_, inner) in map.iter_mut() {
                bound_unsigned_integers(inner);
            }
        }
        Value::Sequence(list) => list.iter_mut().for_each(bound_unsigned_integers),
        _ => {}
    }
}
