//! Rate limits on every route outside `/api` (whose guard checks them in
//! its own order, §1.4): the rule the core picks for the request charges
//! the caller's bucket (the `ADMIN_TOKEN` bearer is `service`, anyone else
//! their address: an unverified token never keys a bucket). Over it, 429
//! `{ "message": "rate limit exceeded" }` with `Retry-After`; every answer a
//! bucket decided carries the `RateLimit-*` headers (§7.3). Also the
//! wrapper that documents the 429 on the routes limited by default.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use poem::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use sybil_domain::account::TrustedProxies;
use sybil_domain::rate_limit::Principal;
use sybil_ports::inbound::{LimitVerdict, RateLimitUseCases};

use crate::auth::VerifiedToken;
use crate::error::{ApiError, ErrorBody};
use crate::middleware::json_message;

/// Paths never limited (§7.2): the probes, metrics, well-known files, the
/// spec and its docs; `/api` is limited by its guard.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/healthz" | "/readyz" | "/metrics" | "/openapi.json" | "/openapi.yaml"
    ) || ["/.well-known/", "/docs"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || crate::collab::is_api(path)
}

/// The client's address: the peer, or behind a trusted proxy the address
/// it forwarded (`TRUSTED_PROXIES`).
pub(crate) fn client_addr(req: &Request, proxies: &TrustedProxies) -> IpAddr {
    let peer = req
        .remote_addr()
        .as_socket_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    proxies.client(peer, &forwarded)
}

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const RATELIMIT_PROFILE: HeaderName = HeaderName::from_static("x-ratelimit-profile");

/// The headers of an answer a bucket decided (§7.3); a refusal's
/// `Retry-After` is set with its body.
pub(crate) fn limit_headers(verdict: &LimitVerdict) -> Vec<(HeaderName, HeaderValue)> {
    let d = &verdict.decision;
    let mut headers = vec![
        (RATELIMIT_LIMIT, HeaderValue::from(verdict.burst)),
        (RATELIMIT_REMAINING, HeaderValue::from(d.remaining)),
        (RATELIMIT_RESET, HeaderValue::from(d.reset_seconds)),
    ];
    // A profile name may hold any character; one a header cannot carry
    // leaves the header out rather than the answer.
    if let Ok(name) = HeaderValue::from_bytes(verdict.profile.as_bytes()) {
        headers.push((RATELIMIT_PROFILE, name));
    }
    headers
}

/// Puts the headers of `verdict` on `resp`, unless a bucket closer to the
/// answer (the posting limit's, on its 429) already put its own.
pub(crate) fn decorate(resp: &mut Response, verdict: &LimitVerdict) {
    let h = resp.headers_mut();
    if h.contains_key(RATELIMIT_LIMIT) {
        return;
    }
    for (name, value) in limit_headers(verdict) {
        h.insert(name, value);
    }
}

/// The limits of the routes outside `/api`.
pub struct RouteLimits {
    pub limits: Arc<dyn RateLimitUseCases>,
    pub trusted_proxies: TrustedProxies,
}

/// Charges the request to its bucket, if a rule covers it; answers 429
/// when the bucket is empty.
pub async fn limit<E: Endpoint>(
    next: E,
    req: Request,
    limits: Arc<RouteLimits>,
) -> Result<Response> {
    let path = req.uri().path();
    if req.method() == Method::OPTIONS || exempt(path) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let principal = if req.extensions().get::<VerifiedToken>().is_some() {
        Principal::Service
    } else {
        Principal::Address(client_addr(&req, &limits.trusted_proxies))
    };
    let Some(verdict) = limits
        .limits
        .check(req.method().as_str(), path, principal)
        .await
    else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let mut resp = if verdict.decision.allowed {
        next.call(req).await.map(IntoResponse::into_response)?
    } else {
        let secs = verdict.decision.retry_after_seconds;
        tracing::info!(retry_after = secs, profile = %verdict.profile, "rate limit exceeded");
        let mut resp = json_message(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        resp
    };
    decorate(&mut resp, &verdict);
    Ok(resp)
}

/// The error type of a limited operation: `E` plus a documented 429, which
/// the `limit` middleware answers before the operation runs.
pub struct Limited<E>(pub E);

/// The 429 of an error type, for the spec.
pub trait TooManyRequestsDoc {
    type Response: ApiResponse;
}

/// The 429 of the `/v1` routes.
#[derive(ApiResponse)]
pub enum TooManyRequests {
    /// Over `RATE_LIMIT_PER_MINUTE`; `Retry-After` says in how many seconds to retry.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
}

impl TooManyRequestsDoc for ApiError {
    type Response = TooManyRequests;
}

impl<E: ApiResponse + TooManyRequestsDoc> ApiResponse for Limited<E> {
    fn meta() -> MetaResponses {
        let mut meta = E::meta();
        meta.responses.extend(E::Response::meta().responses);
        meta
    }

    fn register(registry: &mut Registry) {
        E::register(registry);
        E::Response::register(registry);
    }
}

impl<E: IntoResponse> IntoResponse for Limited<E> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<E: Into<poem::Error>> From<Limited<E>> for poem::Error {
    fn from(limited: Limited<E>) -> Self {
        limited.0.into()
    }
}

impl From<ApiError> for Limited<ApiError> {
    fn from(err: ApiError) -> Self {
        Limited(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_spec_and_api_are_not_limited_here() {
        for path in [
            "/health",
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.yaml",
            "/.well-known/x",
            "/docs",
            "/api",
            "/api/typing",
        ] {
            assert!(exempt(path), "{path}");
        }
        for path in [
            "/v1/chat-completions",
            "/openai/v1/chat/completions",
            "/apix",
            "/",
        ] {
            assert!(!exempt(path), "{path}");
        }
    }
}
