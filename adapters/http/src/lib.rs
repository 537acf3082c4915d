//! The HTTP adapter: the contract's REST API on poem-openapi, with the
//! middleware every route shares (JSON errors, body limit, auth, tracing).

mod allow;
mod api;
mod auth;
mod body;
mod dto;
mod error;
mod middleware;
mod sse;
mod time;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::OpenApiService;
use sybil_domain::Secret;
use sybil_ports::inbound::{ChatUseCases, CompletionUseCases, ModelUseCases, SearchUseCases};

pub use body::MAX_BODY_BYTES;

/// The use cases the HTTP layer drives.
#[derive(Clone)]
pub struct Services {
    pub chats: Arc<dyn ChatUseCases>,
    pub completions: Arc<dyn CompletionUseCases>,
    pub models: Arc<dyn ModelUseCases>,
    pub searches: Arc<dyn SearchUseCases>,
}

/// Who may call `/v1/*`: everyone (open mode) or bearers of the admin token.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    pub admin_token: Option<Secret>,
}

pub type ApiService = OpenApiService<
    (
        api::HealthApi,
        api::SessionApi,
        api::ChatsApi,
        api::CompletionsApi,
        api::StreamApi,
        api::SearchesApi,
    ),
    (),
>;

/// The OpenAPI service with a fixed title and version and no `servers`
/// entry, so the spec never depends on configuration.
pub fn api_service(services: &Services, auth: &AuthConfig) -> ApiService {
    OpenApiService::new(
        (
            api::HealthApi,
            api::SessionApi::new(auth.clone()),
            api::ChatsApi::new(services.chats.clone()),
            api::CompletionsApi::new(services.completions.clone(), services.models.clone()),
            api::StreamApi::new(services.completions.clone()),
            api::SearchesApi::new(services.searches.clone()),
        ),
        "Sybil API",
        "1.0.0",
    )
    .description("One REST API over OpenAI, Anthropic and xAI, with durable chat history.")
}

/// The whole HTTP application: the API, its spec and docs, and the shared middleware.
pub fn app(services: Services, auth: AuthConfig) -> impl Endpoint<Output = Response> + 'static {
    let api = api_service(&services, &auth);
    let allow = Arc::new(allow::AllowTable::from_spec(&api.spec()));
    let routes = Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .at("/openapi.yaml", api.spec_endpoint_yaml())
        .nest("/docs", api.swagger_ui())
        .nest("/", api);
    routes
        .around(move |ep, req| auth::require_token(ep, req, auth.clone()))
        .around(body::limit_body)
        .around(move |ep, req| middleware::json_errors(ep, req, allow.clone()))
        .around(middleware::trace_request)
}
