//! CORS for `/api` (§1.6): exact listed origins with credentials; none
//! listed, no CORS header ever.

use poem::Request;
use poem::Response;
use poem::http::{HeaderValue, Method, StatusCode, header};

const EXPOSED: &str = "X-Session-Rotated, X-Request-Id, Retry-After, RateLimit-Limit, \
RateLimit-Remaining, RateLimit-Reset, X-RateLimit-Profile";
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/// `CORS_ALLOWED_ORIGINS`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsOrigins(Vec<String>);

impl CorsOrigins {
    /// Comma-separated `scheme://host[:port]`; `*` or anything else is the
    /// offending entry.
    pub fn parse(text: &str) -> Result<CorsOrigins, String> {
        let mut origins = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let valid = entry.split_once("://").is_some_and(|(scheme, host)| {
                matches!(scheme, "http" | "https")
                    && !host.is_empty()
                    && !host.contains(['/', '*', '?', '#', ' '])
            });
            if !valid {
                return Err(entry.to_string());
            }
            origins.push(entry.to_string());
        }
        Ok(CorsOrigins(origins))
    }

    /// The request's `Origin` when it is listed.
    pub fn allowed(&self, req: &Request) -> Option<HeaderValue> {
        let origin = req.headers().get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.0.iter().any(|o| o == text).then(|| origin.clone())
    }
}

/// Whether this is a CORS preflight (answered before anything else).
pub fn is_preflight(req: &Request) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Adds the headers every answer to a listed origin carries.
pub fn decorate(resp: &mut Response, origin: &HeaderValue) {
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
}

/// 204 to a preflight; for a listed origin, what it may send.
pub fn preflight(req: &Request, origin: Option<&HeaderValue>) -> Response {
    let mut resp = Response::builder().status(StatusCode::NO_CONTENT).finish();
    if let Some(origin) = origin {
        decorate(&mut resp, origin);
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        if let Some(asked) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
        }
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_never_a_wildcard() {
        let list = CorsOrigins::parse("https://app.example.org, http://localhost:5173").unwrap();
        let from = |o: &str| Request::builder().header(header::ORIGIN, o).finish();
        assert!(list.allowed(&from("https://app.example.org")).is_some());
        assert!(list.allowed(&from("http://localhost:5173")).is_some());
        assert!(list.allowed(&from("https://evil.example.org")).is_none());
        assert_eq!(CorsOrigins::parse("*"), Err("*".into()));
        assert_eq!(
            CorsOrigins::parse("https://a.org/path"),
            Err("https://a.org/path".into())
        );
        assert_eq!(CorsOrigins::parse(""), Ok(CorsOrigins::default()));
    }
}
