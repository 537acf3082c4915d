//! Middleware shared by every route: framework errors as `{ "message" }`
//! JSON, and one tracing span per request.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use tracing::Instrument;

use crate::allow::AllowTable;

/// Turns every error that is not already one of our responses (unknown
/// path, wrong method, wrong content type, a panic-free framework failure)
/// into a JSON `{ "message" }` with the same status.
pub async fn json_errors<E: Endpoint>(
    next: E,
    req: Request,
    allow: Arc<AllowTable>,
) -> Result<Response> {
    let path = req.uri().path().to_string();
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
                && let Some(methods) = allow.allowed(&path)
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

/// One span per request; one line when it finishes, with status and latency.
pub async fn trace_request<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let span = tracing::info_span!(
        "http_request",
        method = %req.method(),
        path = %req.uri().path(),
    );
    async move {
        let started = Instant::now();
        let result = next.call(req).await.map(IntoResponse::into_response);
        let status = result.as_ref().map(|r| r.status().as_u16()).unwrap_or(500);
        tracing::info!(
            status,
            latency_ms = started.elapsed().as_secs_f64() * 1e3,
            "request finished"
        );
        result
    }
    .instrument(span)
    .await
}
