//! One upstream request under the shared retry policy (`sybil_upstream`),
//! its failures as `LlmError`s.

use std::future::Future;

use serde::de::DeserializeOwned;

use sybil_ports::outbound::llm::LlmError;
use sybil_upstream::{Failed, Target};

use crate::error::{Errors, is_insufficient_quota};

/// Sends the request `make` builds (rebuilt per attempt) and returns the
/// first success. A final non-success answer becomes `Status` with the
/// upstream's message, a final transport failure `Timeout`/`Connection`.
pub(crate) async fn send<F, Fut>(
    http: &reqwest::Client,
    errors: &Errors,
    model: &str,
    operation: &'static str,
    make: F,
) -> Result<reqwest::Response, LlmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<reqwest::Request, LlmError>>,
{
    let target = Target {
        model: Some(model).filter(|m| !m.is_empty()),
        hopeless: is_insufficient_quota,
        ..Target::new(errors.provider().as_str(), operation)
    };
    sybil_upstream::send(http, &target, make)
        .await
        .map_err(|failed| match failed {
            Failed::Status { status, body } => errors.status(status, &body),
            Failed::Transport(error) => errors.transport(&error),
            Failed::Build(error) => error,
        })
}

/// The JSON body of a success, read whole.
pub(crate) async fn read_json<T: DeserializeOwned>(
    response: reqwest::Response,
    errors: &Errors,
) -> Result<T, LlmError> {
    let bytes = response.bytes().await.map_err(|e| errors.transport(&e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| errors.malformed(&format!("the upstream sent invalid JSON: {e}")))
}
