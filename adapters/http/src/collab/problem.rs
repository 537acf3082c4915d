//! Errors of `/api` as RFC 9457 problem+json (§1.5): one shape, a `code`
//! clients branch on, and the one place where account errors become
//! statuses.

use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use serde_json::{Value, json};
use sybil_ports::inbound::{AccountError, ConversationError, OAuthError, RateLimitError};
use sybil_ports::outbound::StorageError;

use crate::ratelimit::limit_headers;

pub const PROBLEM_JSON: &str = "application/problem+json";
const TYPE_BASE: &str = "https://rustygpt.dev/problems/";

/// The body of every `/api` error.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "Problem")]
pub struct ProblemBody {
    /// `https://rustygpt.dev/problems/` + `code`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub type_: String,
    /// The status's reason phrase.
    pub title: String,
    pub status: u16,
    /// What clients branch on (`RGP.AUTH.CSRF`, `validation_failed`, …).
    pub code: String,
    /// English, for people.
    pub message: String,
    /// Details of the code (`field`, `reason`, `retry_after_seconds`, `missing`); omitted when empty.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// An `/api` error answer, with the headers some codes carry.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
            details: None,
            headers: Vec::new(),
        }
    }

    pub fn details(mut self, details: Value) -> Problem {
        self.details = Some(details);
        self
    }

    pub fn header(mut self, name: HeaderName, value: &str) -> Problem {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// 400 `validation_failed` naming `field`.
    pub fn validation(field: &str, message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "validation_failed", message)
            .details(json!({ "field": field }))
    }

    /// 422 `invalid_request`: a body field missing or of the wrong type or value.
    pub fn invalid_request(field: &str, reason: &str, message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
            .details(json!({ "field": field, "reason": reason }))
    }

    pub fn not_found(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "RGP.NOT_FOUND", message)
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "RGP.INTERNAL",
            "internal error",
        )
    }

    /// 429 with `Retry-After` and the same number in the details.
    pub fn rate_limited(retry_after_seconds: u64) -> Problem {
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RGP.RATE_LIMITED",
            "rate limit exceeded",
        )
        .details(json!({ "retry_after_seconds": retry_after_seconds }))
        .header(header::RETRY_AFTER, &retry_after_seconds.to_string())
    }

    fn body(&self) -> ProblemBody {
        ProblemBody {
            type_: format!("{TYPE_BASE}{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            code: self.code.to_string(),
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self.body()).unwrap_or_default();
        let mut resp = Response::builder()
            .status(self.status)
            .content_type(PROBLEM_JSON)
            .body(body);
        for (name, value) in self.headers {
            resp.headers_mut().append(name, value);
        }
        resp
    }
}

impl From<Problem> for poem::Error {
    fn from(problem: Problem) -> poem::Error {
        poem::Error::from_response(problem.into_response())
    }
}

/// The statuses an `/api` operation may answer with a problem.
const STATUSES: &[(u16, &str)] = &[
    (400, "A value breaks a rule, or the body is not JSON."),
    (401, "No valid session or bearer token."),
    (
        403,
        "The caller is known but not allowed, or the CSRF check failed.",
    ),
    (404, "Unknown, or not visible to the caller."),
    (409, "The state conflicts with the request."),
    (413, "The body is too large."),
    (415, "The body is not application/json."),
    (
        422,
        "A body field is missing or of the wrong type or value.",
    ),
    (423, "The account is disabled."),
    (500, "An unexpected failure."),
    (502, "The sign-in provider failed."),
    (
        503,
        "Storage, or the sign-in provider's configuration, is unavailable.",
    ),
];

impl ApiResponse for Problem {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: STATUSES
                .iter()
                .map(|&(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_JSON,
                        schema: ProblemBody::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ProblemBody::register(registry);
    }
}

/// The error of a throttled route (login, posting): a `Problem`, and a
/// documented 429 with `Retry-After`.
pub struct Throttled(pub Problem);

impl<E: Into<Problem>> From<E> for Throttled {
    fn from(err: E) -> Throttled {
        Throttled(err.into())
    }
}

impl IntoResponse for Throttled {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<Throttled> for poem::Error {
    fn from(t: Throttled) -> poem::Error {
        t.0.into()
    }
}

impl ApiResponse for Throttled {
    fn meta() -> MetaResponses {
        let mut meta = Problem::meta();
        meta.responses.push(MetaResponse {
            description: "Over a rate limit; retry after the seconds given.",
            status: Some(429),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: PROBLEM_JSON,
                schema: ProblemBody::schema_ref(),
            }],
            headers: vec![MetaHeader {
                name: "Retry-After".into(),
                description: Some("Whole seconds until the next attempt is admitted.".into()),
                required: true,
                deprecated: false,
                schema: u64::schema_ref(),
            }],
        });
        meta
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

fn unauthorized(code: &'static str, message: &str, scheme: &str) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, code, message).header(header::WWW_AUTHENTICATE, scheme)
}

impl From<StorageError> for Problem {
    fn from(err: StorageError) -> Problem {
        tracing::error!(error = %err, "storage failure");
        match err {
            StorageError::Unavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "storage unavailable",
            ),
            StorageError::Internal(_) => Problem::internal(),
        }
    }
}

impl From<ConversationError> for Problem {
    fn from(err: ConversationError) -> Problem {
        let message = err.to_string();
        match err {
            ConversationError::NotFound(_) => Problem::not_found(message),
            ConversationError::Forbidden(_) => {
                Problem::new(StatusCode::FORBIDDEN, "RGP.RBAC.FORBIDDEN", message)
            }
            ConversationError::Invalid(e) => Problem::validation(e.field, e.message),
            ConversationError::Conflict(_) => {
                Problem::new(StatusCode::CONFLICT, "RGP.CONFLICT", message)
            }
            ConversationError::Gone(_) => Problem::new(StatusCode::GONE, "RGP.GONE", message),
            ConversationError::CancelRole => {
                Problem::new(StatusCode::BAD_REQUEST, "RGP.V1.CANCEL_ROLE", message)
            }
            ConversationError::RateLimited(verdict) => {
                let mut problem = Problem::rate_limited(verdict.decision.retry_after_seconds);
                problem.headers.extend(limit_headers(&verdict));
                problem
            }
            ConversationError::Storage(e) => e.into(),
        }
    }
}

impl From<RateLimitError> for Problem {
    fn from(err: RateLimitError) -> Problem {
        let message = err.to_string();
        let invalid = |code: &'static str, field: &str| {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.clone())
                .details(json!({ "field": field }))
        };
        match err {
            RateLimitError::InvalidProfile(e) => invalid("invalid_profile", &e.field),
            RateLimitError::InvalidAssignment(e) => invalid("invalid_assignment", &e.field),
            RateLimitError::NotFound(_) => Problem::not_found(message),
            RateLimitError::NameTaken => {
                Problem::new(StatusCode::CONFLICT, "RGP.CONFLICT", message)
                    .details(json!({ "field": "name" }))
            }
            RateLimitError::Assigned(n) => {
                Problem::new(StatusCode::CONFLICT, "RGP.CONFLICT", message)
                    .details(json!({ "assignments": n }))
            }
            RateLimitError::Storage(e) => e.into(),
        }
    }
}

impl From<OAuthError> for Problem {
    fn from(err: OAuthError) -> Problem {
        let message = err.to_string();
        match err {
            OAuthError::NotConfigured { missing, .. } => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "RGP.OAUTH.NOT_CONFIGURED",
                message,
            )
            .details(json!({ "missing": missing })),
            OAuthError::InvalidState => {
                Problem::new(StatusCode::BAD_REQUEST, "RGP.OAUTH.INVALID_STATE", message)
            }
            OAuthError::InvalidCode { provider_error } => {
                let problem =
                    Problem::new(StatusCode::BAD_REQUEST, "RGP.OAUTH.INVALID_CODE", message);
                match provider_error {
                    Some(e) => problem.details(json!({ "provider_error": e })),
                    None => problem,
                }
            }
            OAuthError::InvalidIdToken => Problem::new(
                StatusCode::UNAUTHORIZED,
                "RGP.OAUTH.INVALID_ID_TOKEN",
                message,
            ),
            OAuthError::Provider(_) => {
                Problem::new(StatusCode::BAD_GATEWAY, "RGP.OAUTH.PROVIDER_ERROR", message)
            }
            OAuthError::EmailRequired => {
                Problem::new(StatusCode::FORBIDDEN, "RGP.OAUTH.EMAIL_REQUIRED", message)
            }
        }
    }
}

impl From<AccountError> for Problem {
    fn from(err: AccountError) -> Problem {
        let message = err.to_string();
        match err {
            AccountError::MissingSession => {
                unauthorized("RGP.AUTH.MISSING_SESSION", &message, "session")
            }
            AccountError::InvalidSession => {
                unauthorized("RGP.AUTH.INVALID_SESSION", &message, "session")
            }
            AccountError::Expired => unauthorized("RGP.AUTH.EXPIRED", &message, "session"),
            AccountError::InvalidToken => {
                unauthorized("RGP.AUTH.INVALID_TOKEN", &message, "Bearer")
            }
            AccountError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "RGP.AUTH.INVALID_CREDENTIALS",
                message,
            ),
            AccountError::Disabled => {
                Problem::new(StatusCode::LOCKED, "RGP.AUTH.DISABLED", message)
            }
            AccountError::Csrf(_) => Problem::new(StatusCode::FORBIDDEN, "RGP.AUTH.CSRF", message),
            AccountError::Forbidden(m) => {
                Problem::new(StatusCode::FORBIDDEN, "RGP.RBAC.FORBIDDEN", m)
            }
            AccountError::NotFound(_) => Problem::not_found(message),
            AccountError::SetupCompleted => Problem::new(
                StatusCode::BAD_REQUEST,
                "RGP.SETUP.ALREADY_COMPLETED",
                message,
            ),
            AccountError::Invalid(e) => Problem::validation(e.field, e.message),
            AccountError::InvalidRequest { field, message } => {
                Problem::invalid_request(field, "invalid_value", message)
            }
            AccountError::Conflict { message, field } => {
                let problem = Problem::new(StatusCode::CONFLICT, "RGP.CONFLICT", message);
                match field {
                    Some(field) => problem.details(json!({ "field": field })),
                    None => problem,
                }
            }
            AccountError::RotationRequired => {
                Problem::new(StatusCode::CONFLICT, "RGP.AUTH.ROTATION_REQUIRED", message)
            }
            AccountError::RateLimited {
                retry_after_seconds,
            } => Problem::rate_limited(retry_after_seconds),
            AccountError::OAuth(e) => e.into(),
            AccountError::Storage(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn problems_carry_type_title_status_code_and_message() {
        let resp = Problem::validation("email", "email must be …").into_response();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.content_type(), Some(PROBLEM_JSON));
        let body: Value =
            serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "type": "https://rustygpt.dev/problems/validation_failed",
                "title": "Bad Request",
                "status": 400,
                "code": "validation_failed",
                "message": "email must be …",
                "details": { "field": "email" }
            })
        );
    }

    #[test]
    fn session_401s_name_the_session_scheme_and_bearer_ones_bearer() {
        let p = Problem::from(AccountError::Expired);
        assert_eq!(p.headers[0].1, "session");
        let p = Problem::from(AccountError::InvalidToken);
        assert_eq!(p.headers[0].1, "Bearer");
    }

    #[test]
    fn rate_limits_say_when_to_retry_twice() {
        let p = Problem::from(AccountError::RateLimited {
            retry_after_seconds: 7,
        });
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            p.headers[0],
            (header::RETRY_AFTER, HeaderValue::from_static("7"))
        );
        assert_eq!(p.details, Some(json!({ "retry_after_seconds": 7 })));
    }

    #[test]
    fn unconfigured_providers_list_the_variables() {
        let p = Problem::from(AccountError::OAuth(OAuthError::NotConfigured {
            provider: sybil_domain::account::OAuthProvider::Github,
            missing: vec!["GITHUB_CLIENT_ID".into(), "GITHUB_CLIENT_SECRET".into()],
        }));
        assert_eq!(p.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            p.message,
            "GitHub sign-in is not configured: set GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET"
        );
        assert_eq!(
            p.details,
            Some(json!({ "missing": ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"] }))
        );
    }
}
