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
//! that check it (optional: a server without `ADMIN_TOKEN` is open); the
//! `/api` routes get their cookie, CSRF header and bearer schemes.

mod events;
mod requests;
mod schemas;
mod security;

use serde_yaml::Value;

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
                        events::describe_events(sse);
                    }
                }
            }
        }
    }
    if let Some(components) = spec
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_mapping_mut)
    {
        for (_, schema) in components.iter_mut() {
            schemas::visit(schema);
        }
    }
    requests::close_request_objects(&mut spec);
    requests::null_means_absent_in_requests(&mut spec);
    schemas::bound_unsigned_integers(&mut spec);
    security::declare_bearer_auth(&mut spec);
    security::declare_api_auth(&mut spec);
    spec
}

pub fn to_yaml(spec: &Value) -> String {
    serde_yaml::to_string(spec).unwrap_or_default()
}

pub fn to_json(spec: &Value) -> String {
    serde_json::to_string_pretty(spec).unwrap_or_default()
}

#[cfg(test)]
mod tests;
