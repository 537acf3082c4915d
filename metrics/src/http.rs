//! What the HTTP layer records: requests by route template, and open streams.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::Duration;

use metrics::{Counter, Histogram};

use crate::exporter;

/// Counter: requests by `route` (the template), `method` and `status`.
pub const HTTP_REQUESTS: &str = "sybil_http_requests_total";
/// Histogram (seconds): time to the response head, same labels.
pub const HTTP_DURATION: &str = "sybil_http_request_duration_seconds";
/// Gauge: event streams open now (`/v1/chat-completions/stream`, `/openai/v1` streams).
pub const OPEN_STREAMS: &str = "sybil_open_streams";

/// Histogram samples wait in the recorder until upkeep folds them into the
/// buckets. The upkeep thread does it every few seconds, in which a load's
/// samples would pile up (a hundred thousand at 20 k requests a second);
/// folding them every this many requests too keeps that memory small.
const UPKEEP_EVERY: u64 = 1024;

static REQUESTS_SEEN: AtomicU64 = AtomicU64::new(0);

/// A request's two metrics, registered once per label set.
struct Handles {
    requests: Counter,
    duration: Histogram,
}

/// By route, then method and status: a request finds its handles with a
/// lookup instead of building its labels and key and finding them in the
/// recorder's registry (1.5 % of a completion's instructions). As bounded
/// as the labels.
type HandleCache = HashMap<Box<str>, HashMap<(&'static str, u16), Handles>>;

static HANDLES: LazyLock<RwLock<HandleCache>> = LazyLock::new(RwLock::default);

/// Records one request: `route` is its template (never the raw path, so
/// clients cannot grow the label set), `elapsed` the time to the response head.
pub fn record_http_request(route: &str, method: &'static str, status: u16, elapsed: Duration) {
    let record = |h: &Handles| {
        h.requests.increment(1);
        h.duration.record(elapsed.as_secs_f64());
    };
    // A poisoned lock still holds valid handles.
    let cached = HANDLES.read().unwrap_or_else(PoisonError::into_inner);
    if let Some(handles) = cached.get(route).and_then(|m| m.get(&(method, status))) {
        record(handles);
    } else {
        drop(cached);
        // Handles taken before any recorder is installed would count
        // nowhere, for good: install the exporter first (no-op once done).
        let _ = exporter();
        let labels = [
            ("route", route.to_string()),
            ("method", method.to_string()),
            ("status", status.to_string()),
        ];
        let handles = Handles {
            requests: metrics::counter!(HTTP_REQUESTS, &labels),
            duration: metrics::histogram!(HTTP_DURATION, &labels),
        };
        record(&handles);
        HANDLES
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route.into())
            .or_default()
            .insert((method, status), handles);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render;

    /// The value of `sybil_http_requests_total` for one label set.
    fn requests(text: &str, route: &str, status: u16) -> Option<f64> {
        let head =
            format!("{HTTP_REQUESTS}{{route=\"{route}\",method=\"POST\",status=\"{status}\"}} ");
        let line = text.lines().find(|l| l.starts_with(&head))?;
        line[head.len()..].parse().ok()
    }

    #[test]
    fn each_label_set_counts_its_own_requests() {
        // The first request of this test may be the process's first metric:
        // its handles are taken only once the exporter is installed.
        let took = Duration::from_millis(3);
        for _ in 0..3 {
            record_http_request("/test/cached", "POST", 200, took);
        }
        record_http_request("/test/cached", "POST", 404, took);
        record_http_request("/test/other", "POST", 200, took);
        let text = render();
        assert_eq!(requests(&text, "/test/cached", 200), Some(3.0), "{text}");
        assert_eq!(requests(&text, "/test/cached", 404), Some(1.0), "{text}");
        assert_eq!(requests(&text, "/test/other", 200), Some(1.0), "{text}");
        let durations = format!(
            "{HTTP_DURATION}_count{{route=\"/test/cached\",method=\"POST\",status=\"200\"}} 3"
        );
        assert!(text.contains(&durations), "{text}");
    }
}
