//! The HTTP adapter: the contract's REST API and its OpenAI-compatible
//! surface on poem-openapi, with the middleware every route shares (request
//! ids and tracing, metrics, JSON errors, body limit, auth, rate limits).

mod api;
mod auth;
mod body;
mod collab;
mod dto;
mod error;
mod json_errors;
mod json_reply;
mod layer;
mod metrics;
mod middleware;
mod nul_field;
mod openai;
mod overhead;
mod ratelimit;
mod route_table;
mod server;
mod spec;
mod sse;
#[cfg(test)]
mod wire_schemas;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::OpenApiService;
use sybil_domain::Secret;
use sybil_ports::inbound::{
    AccountUseCases, ChatUseCases, CompletionUseCases, ConversationUseCases, ModelUseCases,
    RateLimitUseCases, ReadinessCheck, ResumableCompletions, SearchUseCases,
};

use crate::layer::LayerExt;

pub use body::MAX_BODY_BYTES;
pub use collab::{CollabConfig, CookiePolicy, CorsOrigins};
pub use server::{ConnectionLimits, serve};

/// The use cases the HTTP layer drives.
#[derive(Clone)]
pub struct Services {
    pub chats: Arc<dyn ChatUseCases>,
    pub completions: Arc<dyn CompletionUseCases>,
    pub models: Arc<dyn ModelUseCases>,
    pub searches: Arc<dyn SearchUseCases>,
    pub readiness: Arc<dyn ReadinessCheck>,
    pub resumable: Arc<dyn ResumableCompletions>,
    pub accounts: Arc<dyn AccountUseCases>,
    pub conversations: Arc<dyn ConversationUseCases>,
    pub limits: Arc<dyn RateLimitUseCases>,
}

/// Who may call `/v1/*`: everyone (open mode) or bearers of the admin
/// token; and how `/api` sets its cookies and answers browsers.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    pub admin_token: Option<Secret>,
    pub collab: CollabConfig,
}

pub type ApiService = OpenApiService<
    (
        api::HealthApi,
        api::SessionApi,
        api::ChatsApi,
        api::CompletionsApi,
        api::StreamApi,
        api::ResumableApi,
        api::SearchesApi,
        api::OpenAiApi,
        api::MetricsApi,
        collab::AccountsApi,
        collab::OAuthApi,
        collab::UsersApi,
        collab::ConversationsApi,
        collab::ThreadsApi,
        collab::StreamApi,
        collab::LimitsApi,
    ),
    (),
>;

/// The OpenAPI service with a fixed title and version and no `servers`
/// entry, so the spec never depends on configuration.
pub fn api_service(services: &Services, auth: &AuthConfig) -> ApiService {
    let (accounts, oauth, users) = collab::apis(&services.accounts, &auth.collab);
    OpenApiService::new(
        (
            api::HealthApi::new(services.readiness.clone()),
            api::SessionApi::new(auth.clone()),
            api::ChatsApi::new(services.chats.clone()),
            api::CompletionsApi::new(services.completions.clone(), services.models.clone()),
            api::StreamApi::new(services.completions.clone(), services.resumable.clone()),
            api::ResumableApi::new(services.resumable.clone()),
            api::SearchesApi::new(services.searches.clone()),
            api::OpenAiApi::new(services.completions.clone(), services.models.clone()),
            api::MetricsApi,
            accounts,
            oauth,
            users,
            collab::ConversationsApi {
                conversations: services.conversations.clone(),
            },
            collab::ThreadsApi {
                conversations: services.conversations.clone(),
            },
            collab::StreamApi {
                conversations: services.conversations.clone(),
                accounts: services.accounts.clone(),
                keepalive: auth.collab.stream_keepalive,
                session_check: auth.collab.stream_session_check,
            },
            collab::LimitsApi {
                limits: services.limits.clone(),
            },
        ),
        "Sybil API",
        "1.0.0",
    )
    .description(
        "One REST API over OpenAI, Anthropic and xAI, with durable chat history. \
         In every request body, `null` for an optional field means absent, no string \
         or key may contain U+0000, and a free-form field (`metadata`, an OpenAI \
         message's `content`) nests at most 64 deep; a request that breaks a rule is \
         a 400 naming the field.",
    )
}

/// The spec as served at `/openapi.yaml` and committed as `openapi.yaml`.
pub fn spec_yaml(api: &ApiService) -> String {
    spec::to_yaml(&spec::normalise(&api.spec_yaml()))
}

/// The same spec as JSON (`/openapi.json`).
pub fn spec_json(api: &ApiService) -> String {
    spec::to_json(&spec::normalise(&api.spec_yaml()))
}

/// The Swagger UI page of `/docs`, showing the spec as served at
/// `/openapi.json` (poem's page embeds its raw spec, before normalisation).
/// The page is self-contained: its script, style and spec are inline.
pub fn docs_html(api: &ApiService) -> String {
    // Inside `<script>`, `</` could end the element; `<\/` is the same JSON.
    let spec = spec_json(api).replace("</", "<\\/");
    api.swagger_ui_html().replacen(&api.spec(), &spec, 1)
}

/// Served outside the spec; listed so their metrics carry their own route.
const UNDOCUMENTED_ROUTES: &[&str] = &["/openapi.json", "/openapi.yaml", "/docs"];

/// The whole HTTP application: the API, its spec and docs, and the shared
/// middleware. Installs the process-wide metrics recorder on first call.
pub fn app(services: Services, auth: AuthConfig) -> impl Endpoint<Output = Response> + 'static {
    sybil_metrics::exporter();
    let api = api_service(&services, &auth);
    let routes_table = Arc::new(route_table::RouteTable::from_spec(
        &api.spec(),
        UNDOCUMENTED_ROUTES,
    ));
    let limits = Arc::new(ratelimit::RouteLimits {
        limits: services.limits.clone(),
        trusted_proxies: auth.collab.trusted_proxies.clone(),
    });
    let guard = Arc::new(collab::Guard {
        accounts: services.accounts.clone(),
        limits: services.limits.clone(),
        config: auth.collab.clone(),
        allow: routes_table.clone(),
    });
    let (allow, metered) = (routes_table.clone(), routes_table);
    // Shared, not cloned per request: it holds strings and lists.
    let auth = Arc::new(auth);
    let (json, yaml) = (spec_json(&api), spec_yaml(&api));
    // The docs page embeds Swagger UI's script (megabytes): written when
    // someone asks for it rather than held for the life of the process.
    let docs_api = api_service(&services, &auth);
    let routes = Route::new()
        .at(
            "/openapi.json",
            poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(json.clone())
            }),
        )
        .at(
            "/openapi.yaml",
            poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/x-yaml")
                    .body(yaml.clone())
            }),
        )
        .nest(
            "/docs",
            Route::new().at(
                "/",
                poem::endpoint::make_sync(move |_| poem::web::Html(docs_html(&docs_api))),
            ),
        )
        .nest("/", api);
    // Innermost first: the rate limit counts only authenticated requests,
    // and the metrics see the status the client finally gets.
    routes
        .layer(move |ep, req| collab::guard(ep, req, guard.clone()))
        .layer(move |ep, req| ratelimit::limit(ep, req, limits.clone()))
        .layer(move |ep, req| auth::require_token(ep, req, auth.clone()))
        .layer(body::limit_body)
        // Boxed midway: the nested middleware types otherwise overflow the
        // compiler's query depth in crates that await this endpoint.
        .boxed()
        .layer(move |ep, req| middleware::json_errors(ep, req, allow.clone()))
        .layer(openai::errors::envelope_errors)
        .layer(move |ep, req| metrics::record_request(ep, req, metered.clone()))
        .layer(middleware::trace_request)
        .boxed()
}
