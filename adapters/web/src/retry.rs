//! Sends one upstream request under Sybil's retry policy, one tracing span per attempt.
//!
//! CONTRACT: at most two retries on 429, 5xx and connection errors, with
//! `Retry-After` honoured up to 5 s. A timeout is not retried: the caller
//! already waited the whole per-call budget once.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use tracing::Instrument;
use tracing::field::Empty;

/// Retries after the first attempt (so at most three requests).
pub(crate) const MAX_RETRIES: u32 = 2;
/// A longer `Retry-After` is cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Waits before retry 1 and 2 when the upstream suggests none.
const BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(400)];
/// Bytes of an error body read to find its message; the rest is dropped.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How the last attempt ended when it was not a success.
#[derive(Debug)]
pub(crate) enum Failed {
    /// A non-success status with (the start of) its body.
    Status { status: u16, body: Vec<u8> },
    /// No answer: timeout, refused, reset.
    Transport(reqwest::Error),
}

/// Sends the request `make` builds (rebuilt per attempt) and returns the
/// first success, or how the last attempt failed. `engine` and `operation`
/// name the span; neither the URL's query nor any header is logged.
pub(crate) async fn send<F>(
    engine: &'static str,
    operation: &'static str,
    make: F,
) -> Result<reqwest::Response, Failed>
where
    F: Fn() -> reqwest::RequestBuilder,
{
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let may_retry = attempt <= MAX_RETRIES;
        let span = tracing::info_span!(
            "web_upstream",
            engine,
            operation,
            attempt,
            status = Empty,
            latency_ms = Empty,
        );
        let started = Instant::now();
        let result = make().send().instrument(span.clone()).await;
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
                if !(may_retry && is_retryable_status(status)) {
                    tracing::warn!(parent: &span, status, "upstream answered with an error");
                    return Err(Failed::Status { status, body });
                }
                suggested.unwrap_or(BACKOFF[attempt as usize - 1])
            }
            Err(error) => {
                let retryable = !crate::errors::is_timeout(&error) && !error.is_builder();
                if !(may_retry && retryable) {
                    tracing::warn!(parent: &span, timeout = error.is_timeout(), "upstream call failed");
                    return Err(Failed::Transport(error));
                }
                BACKOFF[attempt as usize - 1]
            }
        };
        tracing::info!(parent: &span, wait_ms = millis(wait), "retrying upstream call");
        tokio::time::sleep(wait).await;
    }
}

/// 429 and every 5xx.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// The wait the upstream asks for (`Retry-After` in seconds; an HTTP date
/// is ignored), capped at `MAX_RETRY_AFTER`.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)?;
    Some(Duration::from_secs_f64(seconds).min(MAX_RETRY_AFTER))
}

/// The start of an error body; a body that breaks off counts as what arrived.
async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
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
        h.insert("retry-after", HeaderValue::from_static("0.25"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        h.insert("retry-after", HeaderValue::from_static("60"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [400, 401, 402, 403, 404, 408, 422] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
