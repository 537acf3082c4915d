//! Request bodies: the 32 MiB limit, and JSON parsing whose errors name the
//! field (poem's own messages name only the type).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use poem::{Body, Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response, Result};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::json_errors::field_error;
use crate::nul_field::nul_field;

/// Largest accepted request body: 32 MiB.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// After refusing a body, read and discard at most this much more of it (as
/// nginx's lingering close does), so the client sees the 413 and not a reset.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

fn too_large() -> Response {
    ApiError::PayloadTooLarge(poem_openapi::payload::Json(crate::error::ErrorBody {
        message: format!("request body must be at most {MAX_BODY_BYTES} bytes"),
    }))
    .into_response()
}

/// Enforces the body limit for declared (`Content-Length`) and chunked
/// bodies, and reads the whole body before the route runs. A route may
/// answer without reading its body (`/stop`, a 401, a 404, a 429): had the
/// body not fully arrived by then, hyper would close the kept-alive
/// connection after that answer, without saying so, and the client's next
/// request on it would get no answer at all.
pub async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> Result<Response> {
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        let rest = req.take_body().into_bytes_stream();
        let _ = tokio::time::timeout(DRAIN_TIME, discard(rest, DRAIN_BYTES)).await;
        return Ok(too_large());
    }
    // hyper delivers no more than a declared length; a chunked body is
    // watched, and flags its overflow so that the error becomes a 413.
    let overflow = Arc::new(AtomicBool::new(false));
    let body = req.take_body().into_bytes_stream();
    let read = Body::from_bytes_stream(limited(body, overflow.clone()))
        .into_bytes()
        .await;
    if overflow.load(Ordering::Relaxed) {
        return Ok(too_large());
    }
    match read {
        Ok(bytes) => {
            req.set_body(bytes);
            next.call(req).await.map(IntoResponse::into_response)
        }
        Err(_) => Ok(ApiError::bad_request("the request body could not be read").into_response()),
    }
}

async fn discard(mut stream: impl Stream<Item = io::Result<Bytes>> + Unpin, max: usize) {
    let mut seen = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > max {
            break;
        }
    }
}

/// Passes chunks through until the limit; past it, drains (bounded) and ends
/// with an error, flagging the overflow.
fn limited(
    inner: impl Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
    flag: Arc<AtomicBool>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures::stream::try_unfold((inner, 0usize, false), move |(mut inner, seen, done)| {
        let flag = flag.clone();
        async move {
            if done {
                return Ok(None);
            }
            match inner.try_next().await? {
                None => Ok(None),
                Some(chunk) if seen + chunk.len() <= MAX_BODY_BYTES => {
                    let seen = seen + chunk.len();
                    Ok(Some((chunk, (inner, seen, false))))
                }
                Some(_) => {
                    flag.store(true, Ordering::Relaxed);
                    let _ =
                        tokio::time::timeout(DRAIN_TIME, discard(&mut inner, DRAIN_BYTES)).await;
                    Err(io::Error::other("request body too large"))
                }
            }
        }
    })
}

/// A JSON request body parsed with serde, so that a type error, a missing
/// field or an unknown one is reported with its path (`messages[0].role`).
/// The schema in the spec comes from `T`'s poem-openapi derive; its
/// validators (`pattern`, `maxItems`, …) only document the rules, which the
/// domain policies check and word as the contract wants.
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = Vec::<u8>::from_request(request, body)
            .await
            .map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        parse_json(&data)
            .map(JsonBody)
            .map_err(|m| ApiError::bad_request(m).into())
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned);

/// Parses `data` as `T`, describing a failure by the path of the bad field
/// and the rule it breaks; then refuses U+0000 anywhere in the body.
pub fn parse_json<T: DeserializeOwned>(data: &[u8]) -> std::result::Result<T, String> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err("the request body must be a JSON object".into());
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let reason = strip_position(&inner.to_string());
        // serde_json calls some wrong types syntax errors ("expected
        // value"); the body is only called invalid JSON when it is.
        if (inner.is_syntax() || inner.is_eof()) && !is_json(data) {
            format!("the request body is not valid JSON: {reason}")
        } else {
            field_error(&path, &reason)
        }
    })?;
    de.end().map_err(|e| {
        format!(
            "the request body is not valid JSON: {}",
            strip_position(&e.to_string())
        )
    })?;
    if let Some(message) = nul_field(data) {
        return Err(message);
    }
    Ok(value)
}

fn is_json(data: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok()
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Outer {
        #[allow(dead_code)]
        items: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Inner {
        #[allow(dead_code)]
        size_bytes: i64,
    }

    fn err(json: &str) -> String {
        parse_json::<Outer>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn type_errors_name_the_path() {
        assert_eq!(
            err(r#"{"items":[{"sizeBytes":1},{"sizeBytes":"x"}]}"#),
            "items[1].sizeBytes must be an integer"
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        assert!(err(r#"{"items":[{"sizeBytes":1,"extra":2}]}"#).contains("unknown field `extra`"));
        assert_eq!(err(r#"{}"#), "invalid request body: missing field `items`");
    }

    #[test]
    fn malformed_json_and_empty_bodies() {
        assert!(err(r#"{"items":"#).starts_with("the request body is not valid JSON"));
        assert_eq!(err(""), "the request body must be a JSON object");
        assert!(err(r#"{"items":[]} x"#).starts_with("the request body is not valid JSON"));
    }
}
