//! Middleware shared by every route: framework errors as `{ "message" }`
//! JSON, and one tracing span per request carrying its `x-request-id`.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use tracing::Instrument;

use crate::route_table::RouteTable;

/// Turns every error that is not already one of our responses (unknown
/// path, wrong method, wrong content type, a panic-free framework failure)
/// into a JSON `{ "message" }` with the same status.
pub async fn json_errors<E: Endpoint>(
    next: E,
    req: Request,
    allow: Arc<RouteTable>,
) -> Result<Response> {
    // The URI shares the request's buffer: cloning it copies no text.
    let uri = req.uri().clone();
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(err) if err.is_from_response() => Ok(err.into_response()),
        Err(err) => {
            let status = err.status();
            let message = match status {
                StatusCode::NOT_FOUND => "not found".to_string(),
                StatusCode::METHOD_NOT_ALLOWED => "method not allowed".to_string(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                    "Content-Type must be application/json".to_string()
                }
                s if s.is_server_error() => {
                    tracing::error!(error = %err, "request failed");
                    "internal error".to_string()
                }
                _ => err.to_string(),
            };
            let mut resp = json_message(status, &message);
            if status == StatusCode::METHOD_NOT_ALLOWED
                && let Some(methods) = allow.allowed(uri.path())
                && let Ok(value) = methods.parse()
            {
                resp.headers_mut().insert(header::ALLOW, value);
            }
            Ok(resp)
        }
    }
}

pub fn json_message(status: StatusCode, message: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::json!({ "message": message }).to_string())
}

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";
/// Longest client-sent id that is kept.
const MAX_REQUEST_ID: usize = 128;

/// The client's `x-request-id` when it is sane (1 to 128 visible ASCII
/// characters, so it cannot forge log lines), else a new UUID.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty() && id.len() <= MAX_REQUEST_ID && id.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// One span per request, carrying its id; one line when it finishes, with
/// status and latency. Every response carries the id in `x-request-id`.
pub async fn trace_request<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let id = request_id(&req);
    let span = tracing::info_span!(
        "http_request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    async move {
        let started = Instant::now();
        let mut resp = match next.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) => err.into_response(),
        };
        tracing::info!(
            status = resp.status().as_u16(),
            // Whole microseconds: `as_secs_f64() * 1e3` printed as
            // 0.060739999999999995.
            latency_ms = started.elapsed().as_micros() as f64 / 1e3,
            "request finished"
        );
        if let Ok(value) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(REQUEST_ID, value);
        }
        Ok(resp)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: &str) -> Request {
        Request::builder().header(REQUEST_ID, id).finish()
    }

    #[test]
    fn a_sane_client_id_is_kept() {
        assert_eq!(request_id(&with_id("abc-123_x.y:z")), "abc-123_x.y:z");
    }

    #[test]
    fn missing_or_insane_ids_are_replaced_by_a_uuid() {
        let too_long = "a".repeat(MAX_REQUEST_ID + 1);
        for req in [
            Request::builder().finish(),
            with_id(""),
            with_id("two words"),
            with_id(&too_long),
        ] {
            let id = request_id(&req);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
    }
}
