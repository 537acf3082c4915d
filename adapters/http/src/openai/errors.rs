//! OpenAI's error envelope on `/openai/v1`: the operations' error responses,
//! the use-case error mapping, and the middleware that wraps the shared
//! middleware's `{ "message" }` errors (auth, body limit, rate limit,
//! framework) in the envelope, since OpenAI SDKs read `error.message`.

use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use serde_json::Value;
use sybil_ports::inbound::CompletionError;
use sybil_ports::outbound::StorageError;

use crate::dto::openai_response::{OpenAiErrorBody, OpenAiErrorEnvelope};
use crate::ratelimit::{Limited, TooManyRequestsDoc};

#[derive(Debug, ApiResponse)]
pub enum OpenAiError {
    /// The request broke a rule (`param` names the parameter when it is known).
    #[oai(status = 400)]
    BadRequest(Json<OpenAiErrorEnvelope>),
    /// `ADMIN_TOKEN` is set and the bearer token is missing or wrong.
    #[oai(status = 401)]
    Unauthorized(Json<OpenAiErrorEnvelope>),
    /// The body is larger than 32 MiB.
    #[oai(status = 413)]
    PayloadTooLarge(Json<OpenAiErrorEnvelope>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<OpenAiErrorEnvelope>),
    /// The upstream provider failed; the message names it and its error.
    #[oai(status = 502)]
    BadGateway(Json<OpenAiErrorEnvelope>),
    /// An unexpected failure; details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<OpenAiErrorEnvelope>),
    /// Storage is unreachable.
    #[oai(status = 503)]
    Unavailable(Json<OpenAiErrorEnvelope>),
}

/// The 429 of `/openai/v1/chat/completions`.
#[derive(ApiResponse)]
pub enum OpenAiTooManyRequests {
    /// Over `RATE_LIMIT_PER_MINUTE`; `Retry-After` says in how many seconds to retry.
    #[oai(status = 429)]
    TooManyRequests(
        Json<OpenAiErrorEnvelope>,
        #[oai(header = "Retry-After")] u64,
    ),
}

impl TooManyRequestsDoc for OpenAiError {
    type Response = OpenAiTooManyRequests;
}

impl From<OpenAiError> for Limited<OpenAiError> {
    fn from(err: OpenAiError) -> Self {
        Limited(err)
    }
}

/// The envelope for a status, with OpenAI's `type` and `code` for it.
pub fn envelope(status: StatusCode, message: &str, param: Option<&str>) -> OpenAiErrorEnvelope {
    let (kind, code) = match status.as_u16() {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        404 => ("invalid_request_error", Some("not_found")),
        413 => ("invalid_request_error", Some("request_too_large")),
        429 => ("requests", Some("rate_limit_exceeded")),
        502 => ("server_error", Some("upstream_error")),
        503 => ("server_error", Some("service_unavailable")),
        s if s >= 500 => ("server_error", None),
        _ => ("invalid_request_error", None),
    };
    OpenAiErrorEnvelope {
        error: OpenAiErrorBody {
            message: message.to_string(),
            kind: kind.to_string(),
            param: param.map(str::to_string),
            code: code.map(str::to_string),
        },
    }
}

impl OpenAiError {
    pub fn bad_request(message: impl AsRef<str>, param: Option<&str>) -> Self {
        OpenAiError::BadRequest(Json(envelope(
            StatusCode::BAD_REQUEST,
            message.as_ref(),
            param,
        )))
    }

    fn of(status: StatusCode, message: &str) -> Self {
        let body = Json(envelope(status, message, None));
        match status {
            StatusCode::BAD_GATEWAY => OpenAiError::BadGateway(body),
            StatusCode::SERVICE_UNAVAILABLE => OpenAiError::Unavailable(body),
            _ => OpenAiError::Internal(body),
        }
    }
}

impl From<StorageError> for OpenAiError {
    fn from(err: StorageError) -> Self {
        // The driver's text may describe the database; it goes to the log only.
        tracing::error!(error = %err, "storage failure");
        match err {
            StorageError::Unavailable(_) => {
                OpenAiError::of(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
            }
            StorageError::Internal(_) => {
                OpenAiError::of(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<CompletionError> for OpenAiError {
    fn from(err: CompletionError) -> Self {
        match err {
            CompletionError::Invalid(message) => OpenAiError::bad_request(message, None),
            e @ CompletionError::Unconfigured { .. } => {
                OpenAiError::bad_request(e.to_string(), Some("model"))
            }
            CompletionError::Upstream(e) => {
                tracing::warn!(provider = %e.provider, failure = ?e.failure, message = %e.message, "upstream failure");
                OpenAiError::of(
                    StatusCode::BAD_GATEWAY,
                    &e.provider.upstream_error_message(&e.message),
                )
            }
            CompletionError::Storage(e) => e.into(),
            // No chat is named on this surface.
            CompletionError::ChatNotFound => {
                OpenAiError::of(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

fn is_openai_path(path: &str) -> bool {
    path == "/openai" || path.starts_with("/openai/")
}

/// On `/openai/*`, rewrites an error answered as `{ "message" }` into the
/// envelope, keeping its status and headers (`Retry-After`, `Allow`).
pub async fn envelope_errors<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let openai = is_openai_path(req.uri().path());
    let mut resp = next.call(req).await?.into_response();
    if !openai || !(resp.status().is_client_error() || resp.status().is_server_error()) {
        return Ok(resp);
    }
    let body = resp.take_body().into_bytes().await?;
    let message = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) if map.len() == 1 => map
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    match message {
        Some(message) => {
            let wrapped = envelope(resp.status(), &message, None);
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json; charset=utf-8"),
            );
            resp.set_body(serde_json::to_vec(&wrapped).unwrap_or_default());
        }
        None => resp.set_body(body),
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_codes_follow_openai() {
        let e = envelope(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded", None);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({ "error": { "message": "rate limit exceeded", "type": "requests",
                                           "param": null, "code": "rate_limit_exceeded" } })
        );
        let e = envelope(StatusCode::BAD_REQUEST, "bad", Some("model"));
        assert_eq!(e.error.kind, "invalid_request_error");
        assert_eq!(e.error.param.as_deref(), Some("model"));
        assert_eq!(
            envelope(StatusCode::INTERNAL_SERVER_ERROR, "x", None)
                .error
                .kind,
            "server_error"
        );
    }

    #[test]
    fn only_openai_paths_are_rewritten() {
        assert!(is_openai_path("/openai/v1/models"));
        assert!(is_openai_path("/openai"));
        assert!(!is_openai_path("/openaix"));
        assert!(!is_openai_path("/v1/chats"));
    }
}
