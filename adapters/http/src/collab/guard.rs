//! The middleware of every `/api` request (§1.4–§1.6): CORS preflights,
//! the caller (401/423), CSRF (403), route access (403) and the 1 MiB body
//! limit, in that order, before the handler; then session rotation,
//! security headers and CORS on the way out, and framework errors (unknown
//! path, wrong method, bad parameter) as problem+json.

use std::sync::Arc;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use sybil_domain::account::TrustedProxies;
use sybil_domain::rate_limit::Principal;
use sybil_ports::inbound::{AccountUseCases, Caller, RateLimitUseCases, RouteAccess};

use super::cookies::{self, CookiePolicy};
use super::cors::{self, CorsOrigins};
use super::problem::Problem;
use super::reply::WithCookies;
use super::routes::{self, ApiRoute};
use crate::ratelimit::{client_addr, decorate};
use crate::route_table::RouteTable;

/// Largest `/api` body (§1.3); `/api/v1/chat/completions` has 32 MiB.
const MAX_API_BODY: usize = 1024 * 1024;
const CSRF_HEADER: &str = "x-csrf-token";

/// The settings of `/api` that only the HTTP layer reads.
#[derive(Debug, Clone)]
pub struct CollabConfig {
    pub cookies: CookiePolicy,
    pub cors: CorsOrigins,
    pub trusted_proxies: TrustedProxies,
    /// `OAUTH_SUCCESS_URL`.
    pub oauth_success_url: String,
    /// `SSE_KEEPALIVE_SECONDS`: silence before a stream's `: ping`.
    pub stream_keepalive: std::time::Duration,
    /// `STREAM_SESSION_CHECK_SECONDS`: how often an open stream re-checks
    /// its session.
    pub stream_session_check: std::time::Duration,
}

/// The contract's defaults: secure cookies, no CORS, no trusted proxy.
impl Default for CollabConfig {
    fn default() -> Self {
        CollabConfig {
            cookies: CookiePolicy { secure: true },
            cors: CorsOrigins::default(),
            trusted_proxies: TrustedProxies::default(),
            oauth_success_url: "/".into(),
            stream_keepalive: std::time::Duration::from_secs(15),
            stream_session_check: std::time::Duration::from_secs(60),
        }
    }
}

pub struct Guard {
    pub accounts: Arc<dyn AccountUseCases>,
    pub limits: Arc<dyn RateLimitUseCases>,
    pub config: CollabConfig,
    pub allow: Arc<RouteTable>,
}

pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    // Any Authorization header makes a bearer attempt; a scheme other than
    // Bearer is an invalid one.
    Some(value.strip_prefix("Bearer ").unwrap_or("").to_string())
}

fn security_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Every `/api` request's way through; other paths pass untouched.
pub async fn guard<E: Endpoint>(next: E, req: Request, guard: Arc<Guard>) -> Result<Response> {
    if !is_api(req.uri().path()) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let origin = guard.config.cors.allowed(&req);
    let mut resp = if cors::is_preflight(&req) {
        cors::preflight(&req, origin.as_ref())
    } else {
        // Boxed: its checks nest futures that every other request would
        // otherwise carry in its own, and copy with it.
        match Box::pin(guard.run(next, req)).await {
            Ok(resp) => resp,
            Err(problem) => problem.into_response(),
        }
    };
    security_headers(&mut resp);
    if let Some(origin) = &origin {
        cors::decorate(&mut resp, origin);
    }
    Ok(resp)
}

impl Guard {
    /// Authenticates (§1.4 step 1) and charges the rate limit (step 2);
    /// every answer after that carries the bucket's headers.
    async fn run<E: Endpoint>(&self, next: E, req: Request) -> Result<Response, Problem> {
        let path = req.uri().path().to_string();
        let route = routes::find(req.method(), &path);
        let access = route.map_or(RouteAccess::Anonymous, |r| r.access);
        let session_token = cookies::read(&req, cookies::SESSION_ID);
        let caller = self
            .accounts
            .authenticate(bearer(&req), session_token, access)
            .await
            .map_err(|e| self.refused(e, route))?;
        let principal = match &caller {
            Caller::User(signed_in) => Principal::User(signed_in.user.id),
            Caller::Service => Principal::Service,
            Caller::Anonymous => {
                Principal::Address(client_addr(&req, &self.config.trusted_proxies))
            }
        };
        let verdict = self
            .limits
            .check(req.method().as_str(), &path, principal)
            .await;
        let mut resp = match &verdict {
            Some(v) if !v.decision.allowed => {
                Problem::rate_limited(v.decision.retry_after_seconds).into_response()
            }
            _ => match self.checked(next, req, caller, route, access, &path).await {
                Ok(resp) => resp,
                Err(problem) => problem.into_response(),
            },
        };
        if let Some(verdict) = &verdict {
            decorate(&mut resp, verdict);
        }
        Ok(resp)
    }

    /// Steps 3 and on: CSRF, route access, the body limit, then the handler.
    async fn checked<E: Endpoint>(
        &self,
        next: E,
        mut req: Request,
        mut caller: Caller,
        route: Option<&ApiRoute>,
        access: RouteAccess,
        path: &str,
    ) -> Result<Response, Problem> {
        if route.is_some_and(|r| r.pattern == routes::LOGIN) {
            let client = client_addr(&req, &self.config.trusted_proxies);
            self.accounts.admit_login_attempt(client).await?;
        }
        if let Caller::User(signed_in) = &caller
            && route.is_some_and(|r| r.csrf)
            && routes::changes_state(req.method())
        {
            let header = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            self.accounts.check_csrf(signed_in, header).await?;
        }
        self.accounts.authorize(&caller, access)?;
        self.limit_body(&mut req).await?;
        let rotated = match &mut caller {
            Caller::User(signed_in) if routes::rotates_when_due(route) => {
                let issued = self.accounts.rotate_if_due(signed_in).await?;
                if let Some(issued) = &issued {
                    // The handler shows the session the client now holds.
                    signed_in.session = issued.session.clone();
                }
                issued
            }
            _ => None,
        };
        req.extensions_mut().insert(caller);
        let resp = match next.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) if err.is_from_response() => err.into_response(),
            Err(err) => return Err(self.framework_error(&err, path)),
        };
        Ok(match &rotated {
            Some(issued) => WithCookies::new(resp, self.config.cookies.session(issued))
                .rotated()
                .into_response(),
            None => resp,
        })
    }

    /// An authentication failure; logout's 401s also clear the cookies.
    fn refused(
        &self,
        err: sybil_ports::inbound::AccountError,
        route: Option<&ApiRoute>,
    ) -> Problem {
        let mut problem = Problem::from(err);
        if problem.status == StatusCode::UNAUTHORIZED
            && route.is_some_and(|r| r.pattern == routes::LOGOUT)
        {
            for cookie in self.config.cookies.clear_session() {
                problem = problem.header(header::SET_COOKIE, &cookie);
            }
        }
        problem
    }

    /// 413 past 1 MiB (the body is already in memory: `limit_body` read it).
    async fn limit_body(&self, req: &mut Request) -> Result<(), Problem> {
        if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let bytes = req.take_body().into_bytes().await.map_err(|_| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "RGP.MALFORMED_JSON",
                "the request body could not be read",
            )
        })?;
        if bytes.len() > MAX_API_BODY {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RGP.PAYLOAD_TOO_LARGE",
                format!("request body must be at most {MAX_API_BODY} bytes"),
            ));
        }
        req.set_body(bytes);
        Ok(())
    }

    /// poem's own errors, in the `/api` shape.
    fn framework_error(&self, err: &poem::Error, path: &str) -> Problem {
        match err.status() {
            StatusCode::NOT_FOUND => Problem::not_found("not found"),
            StatusCode::METHOD_NOT_ALLOWED => {
                let problem = Problem::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "RGP.METHOD_NOT_ALLOWED",
                    "method not allowed",
                );
                match self.allow.allowed(path) {
                    Some(methods) => problem.header(header::ALLOW, &methods),
                    None => problem,
                }
            }
            // JSON bodies answer their own 415 (`ApiJson`); this is the
            // form of Apple's callback.
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "RGP.UNSUPPORTED_MEDIA_TYPE",
                "Content-Type must be application/x-www-form-urlencoded",
            ),
            StatusCode::BAD_REQUEST => {
                // poem-openapi names a bad parameter in backquotes.
                let text = err.to_string();
                let field = text.split('`').nth(1).unwrap_or("parameter").to_string();
                Problem::validation(&field, format!("{field} is not valid"))
            }
            status => {
                tracing::error!(error = %err, %status, "request failed");
                Problem::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_paths_are_guarded() {
        assert!(is_api("/api"));
        assert!(is_api("/api/setup"));
        assert!(!is_api("/apix"));
        assert!(!is_api("/v1/chats"));
    }

    #[test]
    fn any_authorization_header_is_a_bearer_attempt() {
        let req = Request::builder()
            .header(header::AUTHORIZATION, "Basic abc")
            .finish();
        assert_eq!(bearer(&req).as_deref(), Some(""));
        let req = Request::builder()
            .header(header::AUTHORIZATION, "Bearer t0k")
            .finish();
        assert_eq!(bearer(&req).as_deref(), Some("t0k"));
        assert_eq!(bearer(&Request::builder().finish()), None);
    }
}
