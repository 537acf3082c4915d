//! Each normalisation on a minimal spec.

use serde_yaml::Value;

use super::normalise;

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
    let schema =
        &spec["paths"]["/s"]["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"];
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
