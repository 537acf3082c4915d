//! What the HTTP layer records: requests by route template, and open streams.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::exporter;

/// Counter: requests by `route` (the template), `method` and `status`.
pub const HTTP_REQUESTS: &str = "sybil_http_requests_total";
/// Histogram (seconds): time to the response head, same labels.
pub const HTTP_DURATION: &str = "sybil_http_request_duration_seconds";
/// Gauge: event streams open now (`/v1/chat-completions/stream`, `/openai/v1` streams).
pub const OPEN_STREAMS: &str = "sybil_open_streams";

/// Histogram samples wait in the recorder until upkeep folds them into the
/// buckets; doing it every this many requests bounds that memory without a
/// background task.
const UPKEEP_EVERY: u64 = 1024;

static REQUESTS_SEEN: AtomicU64 = AtomicU64::new(0);

/// Records one request: `route` is its template (never the raw path, so
/// clients cannot grow the label set), `elapsed` the time to the response head.
pub fn record_http_request(route: String, method: &'static str, status: u16, elapsed: Duration) {
    let labels = [
        ("route", route),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
    if REQUESTS_SEEN.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1
        && let Some(handle) = exporter()
    {
        handle.run_upkeep();
    }
}

/// Counts one open stream for as long as it lives; kept in the stream's state
/// so that a client disconnect (the body dropped) counts it down.
pub struct OpenStream(());

impl OpenStream {
    pub fn open() -> OpenStream {
        metrics::gauge!(OPEN_STREAMS).increment(1.0);
        OpenStream(())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!(OPEN_STREAMS).decrement(1.0);
    }
}
