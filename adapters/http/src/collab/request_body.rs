//! `/api` request bodies (§1.3): `application/json` or 415, JSON or 400
//! `RGP.MALFORMED_JSON`, the right shape or 422 `invalid_request` naming the
//! field and the reason (`missing`, `invalid_type`, `invalid_value`).

use poem::http::{StatusCode, header};
use poem::{FromRequest, Request, RequestBody, Result};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::problem::Problem;

/// A JSON body parsed by the `/api` rules; its schema comes from `T`.
pub struct ApiJson<T>(pub T);

/// The body's bytes, or 400 `RGP.MALFORMED_JSON` when it cannot be read.
async fn read_body(
    request: &Request,
    body: &mut RequestBody,
) -> std::result::Result<Vec<u8>, Problem> {
    Vec::<u8>::from_request(request, body).await.map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "RGP.MALFORMED_JSON",
            "the request body could not be read",
        )
    })
}

/// 415 unless the body is declared `application/json`.
fn require_json(request: &Request) -> std::result::Result<(), Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if is_json(content_type) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "RGP.UNSUPPORTED_MEDIA_TYPE",
            "Content-Type must be application/json",
        ))
    }
}

fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

impl<T: Type> Payload for ApiJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    /// Any type passes here: the 415 is answered by `from_request`, as a problem.
    fn check_content_type(_content_type: &str) -> bool {
        true
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for ApiJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        require_json(request)?;
        let data = read_body(request, body).await?;
        parse(&data).map(ApiJson).map_err(Into::into)
    }
}

poem_openapi::impl_apirequest_for_payload!(ApiJson<T>, T: Type + DeserializeOwned);

/// A JSON body that may be left out (an empty body reads as `T::default()`);
/// when sent, the rules of `ApiJson`.
pub struct OptionalJson<T>(pub T);

impl<T: Type> Payload for OptionalJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(_content_type: &str) -> bool {
        true
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Default> ParsePayload for OptionalJson<T> {
    const IS_REQUIRED: bool = false;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = read_body(request, body).await?;
        if data.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        require_json(request)?;
        parse(&data).map(OptionalJson).map_err(Into::into)
    }
}

/// By hand rather than by `impl_apirequest_for_payload!`, which refuses a
/// request without `Content-Type` before the body is looked at.
impl<'a, T: Type + DeserializeOwned + Default> poem_openapi::ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] =
        &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        <Self as ParsePayload>::from_request(request, body).await
    }
}

/// Parses `data` as `T` by the contract's rules.
pub fn parse<T: DeserializeOwned>(data: &[u8]) -> std::result::Result<T, Problem> {
    let value: Value = serde_json::from_slice(data).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "RGP.MALFORMED_JSON",
            "the request body is not valid JSON",
        )
    })?;
    if !value.is_object() {
        return Err(Problem::invalid_request(
            "body",
            "invalid_type",
            "the request body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(&value).map_err(|err| {
        // `roles[0]` is written `roles.0`: dotted, as the contract names fields.
        let parent = err.path().to_string().replace('[', ".").replace(']', "");
        let reason = err.into_inner().to_string();
        shape_problem(&value, &parent, &reason)
    })
}

/// The 422 for serde's complaint `reason` at `path`.
fn shape_problem(value: &Value, path: &str, reason: &str) -> Problem {
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = reason
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        let field = join(name);
        return Problem::invalid_request(&field, "missing", format!("{field} is required"));
    }
    let field = if path == "." {
        "body".to_string()
    } else {
        path.to_string()
    };
    if is_null(value, &field) {
        return Problem::invalid_request(&field, "missing", format!("{field} is required"));
    }
    if reason.starts_with("invalid type") {
        let expected = reason
            .rsplit_once(", expected ")
            .map_or("another type", |(_, e)| e);
        return Problem::invalid_request(
            &field,
            "invalid_type",
            format!("{field} must be {expected}"),
        );
    }
    Problem::invalid_request(
        &field,
        "invalid_value",
        format!("{field} has an invalid value"),
    )
}

/// Whether the value at dotted `path` is `null` (serde calls a null
/// required field a wrong type; the contract calls it missing).
fn is_null(value: &Value, path: &str) -> bool {
    let mut at = value;
    for key in path.split('.') {
        let next = match key.parse::<usize>() {
            Ok(i) if at.is_array() => at.get(i),
            _ => at.get(key),
        };
        match next {
            Some(next) => at = next,
            None => return false,
        }
    }
    at.is_null()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        roles: Option<Vec<Role>>,
        id: Option<uuid::Uuid>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Role {
        Admin,
    }

    fn problem(data: &str) -> (u16, String, Value) {
        let p = parse::<Body>(data.as_bytes()).unwrap_err();
        (
            p.status.as_u16(),
            p.code.to_string(),
            p.details.unwrap_or(Value::Null),
        )
    }

    #[test]
    fn not_json_is_400() {
        assert_eq!(problem("{").0, 400);
        assert_eq!(problem("").1, "RGP.MALFORMED_JSON");
    }

    #[test]
    fn shape_errors_are_422_with_field_and_reason() {
        assert_eq!(
            problem("{}").2,
            json!({"field": "email", "reason": "missing"})
        );
        assert_eq!(
            problem(r#"{"email":null}"#).2,
            json!({"field": "email", "reason": "missing"})
        );
        assert_eq!(
            problem(r#"{"email":1}"#).2,
            json!({"field": "email", "reason": "invalid_type"})
        );
        assert_eq!(
            problem(r#"{"email":"a","roles":["boss"]}"#).2,
            json!({"field": "roles.0", "reason": "invalid_value"})
        );
        assert_eq!(
            problem(r#"{"email":"a","id":"not-a-uuid"}"#).2,
            json!({"field": "id", "reason": "invalid_value"})
        );
        assert_eq!(
            problem("[]").2,
            json!({"field": "body", "reason": "invalid_type"})
        );
        assert_eq!(problem("[]").0, 422);
    }

    #[test]
    fn unknown_fields_and_null_optionals_pass() {
        let body: Body = parse(br#"{"email":"a","roles":null,"extra":1}"#).unwrap();
        assert!(body.roles.is_none());
    }
}
