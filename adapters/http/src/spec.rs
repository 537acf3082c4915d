//! The spec as served and committed: poem-openapi's, normalised where its
//! output misleads clients. A property that is nullable is always present
//! (`#[oai(nullable)]` means "present as null", as the contract wants), so
//! it is listed in `required`; a property that is a `$ref` with a
//! description or `nullable` is written `anyOf: [$ref]` instead of poem's
//! `allOf: [$ref, {annotations}]`, which code generators reject for enums;
//! and a `text/event-stream` schema describes one event as SSE clients
//! parse it (`event`, `id`, `data`), its `data` schema in `x-data-schema`.
//! Two rules the code enforces but poem cannot write are added: the objects
//! of `/v1` request bodies refuse unknown fields (`additionalProperties:
//! false`; `/openai/v1` ignores them, as OpenAI does), an optional field of
//! a request body is `nullable` (`null` there means absent), and an unsigned
//! integer (`format: uint32`…) states its range. The bearer token of
//! `ADMIN_TOKEN` is declared as an optional security scheme on the routes
//! that check it (optional: a server without `ADMIN_TOKEN` is open).

use std::collections::BTreeSet;

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

/// Normalises poem-openapi's YAML (which always parses: poem wrote it).
pub fn normalise(yaml: &str) -> Value {
    let mut spec: Value = serde_yaml::from_str(yaml).unwrap_or(Value::Null);
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_mapping_mut) {
        for (_, ops) in paths.iter_mut() {
            for (_, op) in ops.as_mapping_mut().into_iter().flatten() {
                let responses = op.get_mut("responses").and_then(Value::as_mapping_mut);
                for (_, response) in responses.into_iter().flatten() {
                    if let Some(sse) = response
                        .get_mut("content")
                        .and_then(|c| c.get_mut("text/event-stream"))
                    {
                        describe_events(sse);
                    }
                }
            }
        }
    }
    if let Some(schemas) = spec
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_mapping_mut)
    {
        for (_, schema) in schemas.iter_mut() {
            visit(schema);
        }
    }
    close_request_objects(&mut spec);
    null_means_absent_in_requests(&mut spec);
    bound_unsigned_integers(&mut spec);
    declare_bearer_auth(&mut spec);
    spec
}

const BEARER_SCHEME: &str = "bearerAuth";

/// The `bearerAuth` scheme, and on every operation whose path needs the
/// token (`auth::needs_token`) the choice of it or of nothing.
fn declare_bearer_auth(spec: &mut Value) {
    let Some(root) = spec.as_mapping_mut() else {
        return;
    };
    let scheme: Value = serde_yaml::from_str(
        "type: http\nscheme: bearer\ndescription: The server's ADMIN_TOKEN. Needed only when the server sets one; without it the API is open.\n",
    )
    .unwrap_or(Value::Null);
    let components = root
        .entry("components".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Some(components) = components.as_mapping_mut() {
        let schemes = components
            .entry("securitySchemes".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Some(schemes) = schemes.as_mapping_mut() {
            schemes.insert(BEARER_SCHEME.into(), scheme);
        }
    }
    let token_or_none: Value =
        serde_yaml::from_str(&format!("[{{{BEARER_SCHEME}: []}}, {{}}]")).unwrap_or(Value::Null);
    let Some(paths) = root.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (path, ops) in paths.iter_mut() {
        if !path.as_str().is_some_and(crate::auth::needs_token) {
            continue;
        }
        for (_, op) in ops.as_mapping_mut().into_iter().flatten() {
            if let Some(op) = op.as_mapping_mut() {
                op.insert("security".into(), token_or_none.clone());
            }
        }
    }
}

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// Writes `additionalProperties: false` on every object schema that a `/v1`
/// request body reaches: those bodies are parsed with unknown fields denied
/// (the contract's 400), so a generator must not invent fields.
fn close_request_objects(spec: &mut Value) {
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
fn null_means_absent_in_requests(spec: &mut Value) {
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

/// poem writes a Rust unsigned integer as `type: integer` with `format:
/// uint64` (or `uint32`…) alone; its range is added as `minimum` and
/// `maximum`, wherever the schema is (components, parameters, headers).
fn bound_unsigned_integers(value: &mut Value) {
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

pub fn to_yaml(spec: &Value) -> String {
    serde_yaml::to_string(spec).unwrap_or_default()
}

pub fn to_json(spec: &Value) -> String {
    serde_json::to_string_pretty(spec).unwrap_or_default()
}

/// `schema: {$ref: X}` of an event stream becomes the schema of one event,
/// which is what an SSE client (and schemathesis) checks: `data` is text
/// holding the JSON of `X` (or OpenAI's closing `[DONE]`).
fn describe_events(media: &mut Value) {
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

/// Fixes one schema and, recursively, the schemas inside it.
fn visit(schema: &mut Value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(yaml: &str) -> Value {
        let spec = normalise(&format!("components:\n  schemas:\n    S:\n{yaml}"));
        spec["components"]["schemas"]["S"].clone()
    }

    #[test]
    fn nullable_properties_are_required() {
        let s = schema(
            "      type: object\n      required:\n      - id\n      properties:\n        id:\n          type: string\n        title:\n          type: string\n          nullable: true\n        note:\n          type: string\n",
        );
        assert_eq!(
            s["required"],
            serde_yaml::from_str::<Value>("[id, title]").unwrap()
        );
    }

    #[test]
    fn annotated_refs_become_any_of() {
        let s = schema(
            "      type: object\n      properties:\n        p:\n          nullable: true\n          allOf:\n          - $ref: '#/components/schemas/E'\n          - nullable: true\n            description: d\n",
        );
        let p = &s["properties"]["p"];
        assert!(p.get("allOf").is_none());
        assert_eq!(p["anyOf"][0]["$ref"], "#/components/schemas/E");
        assert_eq!(p["nullable"], true);
        assert_eq!(p["description"], "d");
        assert_eq!(s["required"][0], "p");
    }

    #[test]
    fn event_stream_schemas_describe_one_event() {
        let spec = normalise(
            "paths:\n  /s:\n    post:\n      responses:\n        '200':\n          content:\n            text/event-stream:\n              schema:\n                $ref: '#/components/schemas/E'\n",
        );
        let schema = &spec["paths"]["/s"]["post"]["responses"]["200"]["content"]["text/event-stream"]
            ["schema"];
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"][0], "data");
        assert_eq!(schema["properties"]["data"]["type"], "string");
        assert_eq!(schema["x-data-schema"]["$ref"], "#/components/schemas/E");
    }

    #[test]
    fn objects_of_v1_request_bodies_refuse_unknown_fields() {
        let spec = normalise(
            "paths:\n  /v1/a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/A'\n  /openai/v1/b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/B'\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        items:\n          type: array\n          items:\n            $ref: '#/components/schemas/Item'\n        any: {}\n    Item:\n      oneOf:\n      - $ref: '#/components/schemas/Leaf'\n    Leaf:\n      type: object\n      properties:\n        x:\n          type: string\n    B:\n      type: object\n      properties:\n        y:\n          type: string\n",
        );
        let schemas = &spec["components"]["schemas"];
        assert_eq!(schemas["A"]["additionalProperties"], Value::Bool(false));
        assert_eq!(schemas["Leaf"]["additionalProperties"], Value::Bool(false));
        assert!(schemas["Item"].get("additionalProperties").is_none());
        assert!(schemas["B"].get("additionalProperties").is_none());
    }

    #[test]
    fn optional_fields_of_request_bodies_are_nullable() {
        let spec = normalise(
            "paths:\n  /openai/v1/a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/A'\ncomponents:\n  schemas:\n    A:\n      type: object\n      required:\n      - id\n      properties:\n        id:\n          type: string\n        title:\n          type: string\n        kind:\n          $ref: '#/components/schemas/K'\n    R:\n      type: object\n      properties:\n        note:\n          type: string\n",
        );
        let schemas = &spec["components"]["schemas"];
        let a = &schemas["A"]["properties"];
        assert!(a["id"].get("nullable").is_none());
        assert_eq!(a["title"]["nullable"], true);
        assert_eq!(a["kind"]["nullable"], true);
        assert_eq!(a["kind"]["anyOf"][0]["$ref"], "#/components/schemas/K");
        assert!(a["kind"].get("$ref").is_none());
        assert_eq!(
            schemas["A"]["required"],
            serde_yaml::from_str::<Value>("[id]").unwrap()
        );
        assert!(schemas["R"]["properties"]["note"].get("nullable").is_none());
    }

    #[test]
    fn unions_of_other_types_are_not_objects() {
        let s = schema(
            "      type: object\n      anyOf:\n      - type: string\n      - type: array\n        items:\n          type: string\n",
        );
        assert!(s.get("type").is_none());
        assert_eq!(s["anyOf"][0]["type"], "string");
        let s = schema(
            "      type: object\n      oneOf:\n      - $ref: '#/components/schemas/A'\n      - type: object\n",
        );
        assert_eq!(s["type"], "object");
    }

    #[test]
    fn unsigned_integers_state_their_range() {
        let s = schema(
            "      type: object\n      properties:\n        a:\n          type: integer\n          format: uint32\n        b:\n          type: integer\n          format: uint64\n        c:\n          type: integer\n          format: int64\n",
        );
        let props = &s["properties"];
        assert_eq!(props["a"]["minimum"], Value::from(0u64));
        assert_eq!(props["a"]["maximum"], Value::from(4_294_967_295u64));
        assert_eq!(props["b"]["maximum"], Value::from(u64::MAX));
        assert!(props["c"].get("minimum").is_none());
    }

    #[test]
    fn unions_of_objects_are_left_alone() {
        let s = schema(
            "      allOf:\n      - type: object\n        properties:\n          type:\n            type: string\n      - $ref: '#/components/schemas/T'\n",
        );
        assert!(s.get("allOf").is_some());
    }

    #[test]
    fn routes_that_check_the_token_offer_it_as_optional_bearer_auth() {
        let spec = normalise(
            "paths:\n  /v1/chats:\n    get: {}\n    post: {}\n  /v1/auth/session:\n    get: {}\n  /openai/v1/models:\n    get: {}\n  /health:\n    get: {}\n",
        );
        let either: Value = serde_yaml::from_str("[{bearerAuth: []}, {}]").unwrap();
        let paths = &spec["paths"];
        for (path, method) in [
            ("/v1/chats", "get"),
            ("/v1/chats", "post"),
            ("/openai/v1/models", "get"),
        ] {
            assert_eq!(paths[path][method]["security"], either, "{path}");
        }
        for path in ["/v1/auth/session", "/health"] {
            assert!(paths[path]["get"].get("security").is_none(), "{path}");
        }
        let scheme = &spec["components"]["securitySchemes"]["bearerAuth"];
        assert_eq!(
            (&scheme["type"], &scheme["scheme"]),
            (&Value::from("http"), &Value::from("bearer"))
        );
    }
}
