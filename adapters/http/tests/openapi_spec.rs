//! The committed `openapi.yaml` must equal what the code generates.
//! `UPDATE_OPENAPI=1 cargo test -p sybil-http --test openapi_spec` rewrites it.

use std::path::PathBuf;
use std::sync::Arc;

use sybil_http::{AuthConfig, Services, api_service, docs_html, spec_json, spec_yaml};
use sybil_ports::inbound::chats::MockChatUseCases;
use sybil_ports::inbound::completions::MockCompletionUseCases;
use sybil_ports::inbound::jobs::MockResumableCompletions;
use sybil_ports::inbound::models::MockModelUseCases;
use sybil_ports::inbound::readiness::MockReadinessCheck;
use sybil_ports::inbound::searches::MockSearchUseCases;

/// The spec is derived from types; no mock is ever called.
fn mocked_services() -> Services {
    Services {
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
    }
}

#[test]
fn committed_spec_matches_the_code() {
    let services = mocked_services();
    let generated = spec_yaml(&api_service(&services, &AuthConfig::default()));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi.yaml");
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).expect("write openapi.yaml");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    similar_asserts::assert_eq!(
        committed,
        generated,
        "openapi.yaml is out of date: run `UPDATE_OPENAPI=1 cargo test -p sybil-http --test openapi_spec` and commit it"
    );
}

#[test]
fn spec_does_not_depend_on_auth_configuration() {
    let services = mocked_services();
    let open = api_service(&services, &AuthConfig::default()).spec_yaml();
    let token = api_service(
        &services,
        &AuthConfig {
            admin_token: Some(sybil_domain::Secret::new("t")),
            ..AuthConfig::default()
        },
    )
    .spec_yaml();
    assert_eq!(open, token);
    assert!(
        open.contains("servers: []\n"),
        "no server URL may be baked into the spec"
    );
}

#[test]
fn docs_page_shows_the_served_spec() {
    let api = api_service(&mocked_services(), &AuthConfig::default());
    let page = docs_html(&api);
    let served = spec_json(&api);
    assert!(
        !served.contains("</"),
        "the spec needs escaping in the page"
    );
    assert!(
        page.contains(&format!("let spec = {served};")),
        "/docs must embed the spec of /openapi.json"
    );
    assert!(!page.contains(&api.spec()), "poem's raw spec is not shown");
    assert!(page.contains("SwaggerUIBundle({"));
}

/// In a request, `null` for an optional field means absent, and the server
/// accepts it: the spec says so, or a client (or schemathesis) would take a
/// `null` the server accepts for a schema violation.
#[test]
fn optional_request_fields_are_nullable_and_stay_optional() {
    let services = mocked_services();
    let spec: serde_json::Value =
        serde_json::from_str(&spec_json(&api_service(&services, &AuthConfig::default())))
            .expect("spec JSON");
    let schemas = &spec["components"]["schemas"];
    for (schema, field) in [
        ("SearchToChatRequest", "title"),
        ("CreateSearchRequest", "query"),
        ("CreateChatRequest", "provider"),
        ("ChatCompletionRequest", "chatId"),
        ("NewMessageRequest", "attachments"),
        ("InitialMessage", "attachments"),
        ("RunSearchRequest", "type"),
        ("OpenAiChatCompletionRequest", "tools"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["nullable"], true, "{schema}.{field}: {property}");
        let required = schemas[schema]["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            !required.contains(&field.into()),
            "{schema}.{field} is optional"
        );
    }
    let provider = &schemas["ChatCompletionRequest"]["properties"]["provider"];
    assert!(
        provider.get("nullable").is_none(),
        "a required field is not nullable"
    );
}
