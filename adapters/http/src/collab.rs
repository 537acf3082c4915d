//! The multi-user API under `/api` (COLLAB-API.md): problem+json errors,
//! cookie sessions with CSRF, CORS and security headers, and the account
//! routes. Every decision about who may do what is the use cases'; this
//! module reads requests and writes answers.

mod accounts_api;
mod conversation_dto;
mod conversations_api;
mod cookies;
mod cors;
mod dto;
mod guard;
mod limits_api;
mod limits_dto;
mod oauth_api;
mod params;
mod problem;
mod reply;
mod request_body;
mod routes;
mod stream_api;
mod threads_api;
mod users_api;

use std::sync::Arc;

use poem_openapi::Tags;
use sybil_ports::inbound::AccountUseCases;

pub use accounts_api::AccountsApi;
pub use conversations_api::ConversationsApi;
pub use cookies::CookiePolicy;
pub use cors::CorsOrigins;
pub(crate) use guard::is_api;
pub use guard::{CollabConfig, Guard, guard};
pub use limits_api::LimitsApi;
pub use oauth_api::OAuthApi;
pub use routes::{ApiRoute, ROUTES};
pub use stream_api::StreamApi;
pub use threads_api::ThreadsApi;
pub use users_api::UsersApi;

#[derive(Tags)]
pub enum CollabTags {
    /// Setup, sign-in and sessions (`/api`).
    Accounts,
    /// Sign in with GitHub or Apple (`/api`).
    #[oai(rename = "OAuth")]
    OAuth,
    /// The admin's user management (`/api`).
    AdminUsers,
    /// Shared conversations: membership, invites, threads, messages, presence (`/api`).
    Conversations,
    /// The admin's rate-limit profiles and their assignments to routes (`/api`).
    AdminLimits,
}

/// The `/api` operations.
pub fn apis(
    accounts: &Arc<dyn AccountUseCases>,
    config: &CollabConfig,
) -> (AccountsApi, OAuthApi, UsersApi) {
    (
        AccountsApi {
            accounts: accounts.clone(),
            cookies: config.cookies,
        },
        OAuthApi {
            accounts: accounts.clone(),
            cookies: config.cookies,
            success_url: config.oauth_success_url.clone(),
        },
        UsersApi {
            accounts: accounts.clone(),
        },
    )
}
