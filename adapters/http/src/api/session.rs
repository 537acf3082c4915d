//! `GET /v1/auth/session`.

use poem::Request;
use poem_openapi::{OpenApi, payload::Json};

use super::ApiTags;
use crate::AuthConfig;
use crate::auth::is_authenticated;
use crate::dto::responses::{AuthMode, SessionBody};

pub struct SessionApi {
    auth: AuthConfig,
}

impl SessionApi {
    pub fn new(auth: AuthConfig) -> Self {
        SessionApi { auth }
    }
}

#[OpenApi]
impl SessionApi {
    /// Authentication mode
    ///
    /// Whether the caller is authenticated, and whether the server is open
    /// (`ADMIN_TOKEN` unset) or needs a bearer token. Answers without a token.
    #[oai(path = "/v1/auth/session", method = "get", tag = "ApiTags::Auth")]
    async fn session(&self, req: &Request) -> Json<SessionBody> {
        let mode = match self.auth.admin_token {
            Some(_) => AuthMode::Token,
            None => AuthMode::Open,
        };
        Json(SessionBody {
            authenticated: is_authenticated(req, &self.auth),
            mode,
        })
    }
}
