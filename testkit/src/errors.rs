//! Each provider's own error envelope (docs/decisions.md: "OpenAI Responses",
//! "xAI Chat Completions", "Anthropic Messages").

use serde_json::{Value, json};

use crate::FakeKind;

/// The envelope `kind` answers with for `status`, using each provider's usual type/code.
pub(crate) fn envelope(
    kind: FakeKind,
    status: u16,
    message: &str,
    request_id: Option<&str>,
) -> Value {
    match kind {
        FakeKind::OpenAi => openai(status, message, None, openai_code(status)),
        FakeKind::Xai => xai(status, message),
        FakeKind::Anthropic => anthropic(status, message, request_id.unwrap_or("req_fake_error")),
    }
}

/// OpenAI `{"error":{message,type,param,code}}`.
pub(crate) fn openai(status: u16, message: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": openai_type(status), "param": param, "code": code}})
}

fn openai_type(status: u16) -> &'static str {
    match status {
        429 => "requests",
        500..=599 => "server_error",
        _ => "invalid_request_error",
    }
}

fn openai_code(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("invalid_api_key"),
        404 => Some("model_not_found"),
        429 => Some("rate_limit_exceeded"),
        _ => None,
    }
}

/// xAI `{"code":"<gRPC status text>","error":"<message>"}`.
pub(crate) fn xai(status: u16, message: &str) -> Value {
    let code = match status {
        400 => "Client specified an invalid argument",
        401 => "The request does not have valid authentication credentials for the operation",
        403 => "The caller does not have permission to execute the specified operation",
        404 => "Some requested entity was not found",
        422 => "Client specified an invalid argument",
        429 => "Some resource has been exhausted",
        500 => "Internal error",
        503 => "The service is currently unavailable",
        504 => "Deadline expired before operation could complete",
        _ => "Unknown error",
    };
    json!({"code": code, "error": message})
}

/// Anthropic `{"type":"error","error":{type,message},"request_id"}`.
pub(crate) fn anthropic(status: u16, message: &str, request_id: &str) -> Value {
    json!({"type": "error", "error": {"type": anthropic_type(status), "message": message}, "request_id": request_id})
}

fn anthropic_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// A generic message for `status`, used when the fake picks the error itself.
pub(crate) fn default_message(status: u16) -> &'static str {
    match status {
        400 => "Bad request.",
        401 => "Unauthorized.",
        403 => "Forbidden.",
        404 => "Not found.",
        429 => "Rate limit reached. Please try again later.",
        529 => "Overloaded",
        500..=599 => "The server had an error while processing your request. Sorry about that!",
        _ => "Request failed.",
    }
}
