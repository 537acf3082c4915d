//! Sends one upstream request under Sybil's retry policy, one tracing span per attempt.
//!
//! CONTRACT: at most two retries on 429, 5xx and connection errors,
//! `Retry-After` honoured up to 5 s. Used for every call of every provider
//! and for the opening request of a stream; a started stream is never retried.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use sybil_ports::outbound::llm::{LlmError, LlmFailure};
use tracing::Instrument;
use tracing::field::Empty;

use crate::error::{Errors, is_insufficient_quota};

/// Retries after the first attempt (so at most three requests).
pub(crate) const MAX_RETRIES: u32 = 2;
/// A longer `Retry-After` is cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Waits before retry 1 and 2 when the upstream suggests none.
const BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(400)];
/// Bytes of an error body read to find its message; the rest is dropped.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Who is calling what, for errors and the tracing span.
pub(crate) struct Target<'a> {
    pub errors: &'a Errors,
    pub model: &'a str,
    pub operation: &'static str,
}

/// Sends the request `make` builds (rebuilt per attempt) and returns the
/// first success. A final non-success answer becomes `Status` with the
/// upstream's message, a final transport failure `Timeout`/`Connection`.
pub(crate) async fn send<F, Fut>(
    http: &reqwest::Client,
    target: &Target<'_>,
    mut make: F,
) -> Result<reqwest::Response, LlmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<reqwest::Request, LlmError>>,
{
    let errors = target.errors;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let may_retry = attempt <= MAX_RETRIES;
        let request = make().await?;
        let span = tracing::info_span!(
            "llm_upstream",
            provider = %errors.provider(),
            model = %target.model,
            operation = target.operation,
            attempt,
            status = Empty,
            latency_ms = Empty,
        );
        let started = Instant::now();
        let result = http.execute(request).instrument(span.clone()).await;
        span.record("latency_ms", millis(started.elapsed()));

        let wait = match result {
            Ok(response) if response.status().is_success() => {
                span.record("status", response.status().as_u16());
                tracing::debug!(parent: &span, "upstream answered");
                return Ok(response);
            }
            Ok(response) => {
                let status = response.status().as_u16();
                span.record("status", status);
                let suggested = retry_after(response.headers());
                let body = read_capped(response).await;
                let retryable = is_retryable_status(status) && !is_insufficient_quota(&body);
                if !(may_retry && retryable) {
                    tracing::warn!(parent: &span, status, "upstream answered with an error");
                    return Err(errors.status(status, &body));
                }
                suggested.unwrap_or(BACKOFF[attempt as usize - 1])
            }
            Err(error) => {
                let failure = errors.transport(&error);
                let retryable = failure.failure == LlmFailure::Connection && !error.is_builder();
                if !(may_retry && retryable) {
                    tracing::warn!(parent: &span, failure = ?failure.failure, "upstream call failed");
                    return Err(failure);
                }
                BACKOFF[attempt as usize - 1]
            }
        };
        tracing::info!(parent: &span, wait_ms = millis(wait), "retrying upstream call");
        tokio::time::sleep(wait).await;
    }
}

/// 429 and every 5xx (Anthropic's 529 overloaded included).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// The wait the upstream asks for (`retry-after-ms`, else `retry-after` in
/// seconds; an HTTP date is ignored), capped at `MAX_RETRY_AFTER`.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let wait = number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))?;
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The start of an error body; a body that breaks off counts as what arrived.
async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    body
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_is_read_and_capped() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("1"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(1)));
        h.insert("retry-after", HeaderValue::from_static("60"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 408, 413, 422] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
