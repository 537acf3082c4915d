//! `RATE_LIMIT_PER_MINUTE`: one token bucket per client (its bearer token
//! when that token was verified against `ADMIN_TOKEN`, else its IP address), shared by the model and search
//! routes; over it, 429 with `Retry-After`. Also the wrapper that documents
//! the 429 on exactly those routes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};

use crate::auth::VerifiedToken;
use crate::error::{ApiError, ErrorBody};
use crate::middleware::json_message;
use crate::route_table::RouteTable;

/// The limited operations: `POST` on these route templates.
const LIMITED_ROUTES: &[&str] = &[
    "/v1/chat-completions",
    "/v1/chat-completions/stream",
    "/v1/chats/title/suggest",
    "/v1/searches/:searchId/run",
    "/openai/v1/chat/completions",
];

/// Forgotten buckets (full again) are dropped every this many checks, so a
/// stream of new clients cannot grow the table without bound.
const PRUNE_EVERY: u64 = 4096;

/// Who a bucket belongs to. A token is kept only as a hash, so the table
/// holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ClientKey {
    Token(u64),
    Address(IpAddr),
    Unknown,
}

/// The per-client buckets; `None` inside when the limit is disabled (`0`).
pub struct RateLimits {
    limiter: Option<DefaultKeyedRateLimiter<ClientKey>>,
    checks: AtomicU64,
}

impl RateLimits {
    pub fn per_minute(limit: u32) -> RateLimits {
        RateLimits {
            limiter: NonZeroU32::new(limit).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when the client's bucket is empty.
    fn check(&self, key: &ClientKey) -> std::result::Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }
}

/// An unverified token never keys a bucket: anyone could make one up per
/// request and never be limited.
fn client_key(req: &Request) -> ClientKey {
    let verified = req.extensions().get::<VerifiedToken>().is_some();
    let token = verified
        .then(|| req.headers().get(header::AUTHORIZATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = token {
        let mut hasher = DefaultHasher::new();
        token.hash(&mut hasher);
        return ClientKey::Token(hasher.finish());
    }
    match req.remote_addr().as_socket_addr() {
        Some(addr) => ClientKey::Address(addr.ip()),
        None => ClientKey::Unknown,
    }
}

/// Whole seconds to wait, at least 1 (a fraction rounds up).
fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait.is_zero())
}

/// Answers 429 `{ "message": "rate limit exceeded" }` with `Retry-After`
/// when a limited operation's client is over its limit.
pub async fn limit<E: Endpoint>(
    next: E,
    req: Request,
    limits: Arc<RateLimits>,
    routes: Arc<RouteTable>,
) -> Result<Response> {
    let limited = req.method() == Method::POST
        && routes
            .template(req.uri().path())
            .is_some_and(|t| LIMITED_ROUTES.contains(&t));
    if limited && let Err(wait) = limits.check(&client_key(&req)) {
        let secs = retry_after_secs(wait);
        tracing::info!(retry_after = secs, "rate limit exceeded");
        let mut resp = json_message(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return Ok(resp);
    }
    next.call(req).await.map(IntoResponse::into_response)
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
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(500)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn a_bucket_holds_the_limit_per_client() {
        let limits = RateLimits::per_minute(2);
        let a = ClientKey::Address([127, 0, 0, 1].into());
        let b = ClientKey::Token(7);
        assert!(limits.check(&a).is_ok());
        assert!(limits.check(&a).is_ok());
        let wait = limits.check(&a).unwrap_err();
        assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30));
        assert!(
            limits.check(&b).is_ok(),
            "another client has its own bucket"
        );
    }

    #[test]
    fn zero_disables_the_limit() {
        let limits = RateLimits::per_minute(0);
        for _ in 0..1000 {
            assert!(limits.check(&ClientKey::Unknown).is_ok());
        }
    }
}
