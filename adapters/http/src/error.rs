//! Every error the API answers, as `{ "message": … }` with its status, and
//! the one place where use-case errors become HTTP statuses.

use poem::http::StatusCode;
use poem_openapi::{ApiResponse, Object, payload::Json};
use sybil_ports::inbound::{ChatError, CompletionError, JobError, SearchError};
use sybil_ports::outbound::StorageError;

/// The body of every error response.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub message: String,
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request broke a rule; the message names the field and the rule.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// `ADMIN_TOKEN` is set and the bearer token is missing or wrong.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// No such resource.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The body is larger than 32 MiB.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// The upstream provider failed; the message names it and its error.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// An unexpected failure; details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// Storage is unreachable.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(body(message))
    }

    /// A failure of Sybil's own; the details go to the log, not the client.
    pub fn internal() -> Self {
        ApiError::Internal(body("internal error"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

fn body(message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        message: message.into(),
    })
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        // The driver's text may describe the database; it goes to the log only.
        tracing::error!(error = %err, "storage failure");
        match err {
            StorageError::Unavailable(_) => ApiError::Unavailable(body("storage unavailable")),
            StorageError::Internal(_) => ApiError::internal(),
        }
    }
}

impl From<ChatError> for ApiError {
    fn from(err: ChatError) -> Self {
        match err {
            ChatError::NotFound => ApiError::NotFound(body("chat not found")),
            ChatError::Invalid(message) => ApiError::BadRequest(body(message)),
            ChatError::Storage(e) => e.into(),
        }
    }
}

impl From<CompletionError> for ApiError {
    fn from(err: CompletionError) -> Self {
        match err {
            CompletionError::Invalid(message) => ApiError::BadRequest(body(message)),
            CompletionError::ChatNotFound => ApiError::NotFound(body("chat not found")),
            e @ CompletionError::Unconfigured { .. } => ApiError::BadRequest(body(e.to_string())),
            CompletionError::Upstream(e) => {
                tracing::warn!(provider = %e.provider, failure = ?e.failure, message = %e.message, "upstream failure");
                ApiError::BadGateway(body(e.provider.upstream_error_message(&e.message)))
            }
            CompletionError::Storage(e) => e.into(),
        }
    }
}

impl From<SearchError> for ApiError {
    fn from(err: SearchError) -> Self {
        match err {
            SearchError::NotFound => ApiError::NotFound(body("search not found")),
            SearchError::Invalid(message) => ApiError::BadRequest(body(message)),
            e @ SearchError::Unconfigured => ApiError::BadRequest(body(e.to_string())),
            e @ SearchError::Upstream { .. } => ApiError::BadGateway(body(e.to_string())),
            SearchError::Storage(e) => e.into(),
        }
    }
}

impl From<JobError> for ApiError {
    fn from(err: JobError) -> Self {
        match err {
            JobError::NotFound => ApiError::NotFound(body("completion not found")),
            JobError::Storage(e) => e.into(),
        }
    }
}
