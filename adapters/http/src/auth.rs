//! `ADMIN_TOKEN` auth: open mode when unset; otherwise every `/v1/*` and
//! `/openai/v1/*` route but `/v1/auth/session` needs `Authorization: Bearer <token>`.

use std::sync::Arc;

use poem::{Endpoint, IntoResponse, Request, Response, Result};
use subtle::ConstantTimeEq;

use crate::AuthConfig;
use crate::error::{ApiError, ErrorBody};

/// Paths that answer without a token even in token mode.
const OPEN_V1_PATHS: &[&str] = &["/v1/auth/session"];

/// Marks a request whose bearer token matched `ADMIN_TOKEN`: only such a
/// token may key a rate-limit bucket of its own (a made-up one would get a
/// fresh bucket per request).
#[derive(Debug, Clone, Copy)]
pub(crate) struct VerifiedToken;

/// True when the request may proceed: open mode, or the right bearer token.
pub fn is_authenticated(req: &Request, auth: &AuthConfig) -> bool {
    auth.admin_token.is_none() || presents_admin_token(req, auth)
}

/// True when `ADMIN_TOKEN` is set and the request's bearer token is it.
fn presents_admin_token(req: &Request, auth: &AuthConfig) -> bool {
    let Some(expected) = &auth.admin_token else {
        return false;
    };
    let presented = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Constant time over the bytes, so response timing does not reveal a prefix.
    presented
        .as_bytes()
        .ct_eq(expected.expose().as_bytes())
        .into()
}

/// `/v1/*` and the OpenAI-compatible `/openai/v1/*` follow the same rule.
pub(crate) fn needs_token(path: &str) -> bool {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    (under("/v1") || under("/openai/v1")) && !OPEN_V1_PATHS.contains(&path)
}

pub async fn require_token<E: Endpoint>(
    next: E,
    mut req: Request,
    auth: Arc<AuthConfig>,
) -> Result<Response> {
    if presents_admin_token(&req, &auth) {
        req.extensions_mut().insert(VerifiedToken);
    }
    if needs_token(req.uri().path()) && !is_authenticated(&req, &auth) {
        return Ok(
            ApiError::Unauthorized(poem_openapi::payload::Json(ErrorBody {
                message: "missing or invalid bearer token".into(),
            }))
            .into_response(),
        );
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_v1_routes_but_the_session_need_a_token() {
        assert!(needs_token("/v1/chats"));
        assert!(needs_token("/v1/chats/abc/messages"));
        assert!(!needs_token("/v1/auth/session"));
        assert!(!needs_token("/health"));
        assert!(!needs_token("/openapi.json"));
        assert!(!needs_token("/v10/x"));
        assert!(needs_token("/openai/v1/models"));
        assert!(needs_token("/openai/v1/chat/completions"));
        assert!(!needs_token("/openai/v10"));
        assert!(!needs_token("/readyz"));
        assert!(!needs_token("/metrics"));
    }
}
