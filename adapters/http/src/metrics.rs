//! Prometheus metrics: the process-wide exporter `GET /metrics` renders,
//! HTTP request counts and latency by route template, and the open-streams gauge.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use metrics_exporter_prometheus::Matcher;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use sybil_ports::outbound::metrics::{
    COMPLETION_OVERHEAD, TOOL_CALLS, TOOL_DURATION, UPSTREAM_CALLS, UPSTREAM_DURATION,
};

use crate::allow::RouteTable;

/// Counter: requests by `route` (the template), `method` and `status`.
pub const HTTP_REQUESTS: &str = "sybil_http_requests_total";
/// Histogram (seconds): time to the response head, same labels.
pub const HTTP_DURATION: &str = "sybil_http_request_duration_seconds";
/// Gauge: event streams open now (`/v1/chat-completions/stream`, `/openai/v1` streams).
pub const OPEN_STREAMS: &str = "sybil_open_streams";

/// The `route` label of a path that matches no route.
const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: a local request takes about a millisecond, a
/// model call up to the 120 s upstream timeout.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Overhead buckets in seconds: the gateway's own share of a completion is
/// well under a millisecond when all is well.
const OVERHEAD_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/// Histogram samples wait in the recorder until upkeep folds them into the
/// buckets; doing it every this many requests bounds that memory without a
/// background task.
const UPKEEP_EVERY: u64 = 1024;

static EXPORTER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static REQUESTS_SEEN: AtomicU64 = AtomicU64::new(0);

/// The exporter, installed as the process's `metrics` recorder on first use.
/// The recorder is global, so every app in one process shares it; `None`
/// when another recorder was installed first.
pub fn exporter() -> Option<&'static PrometheusHandle> {
    EXPORTER.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let installed = PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(COMPLETION_OVERHEAD.into()), OVERHEAD_BUCKETS)
        })
        .and_then(PrometheusBuilder::install_recorder);
    match installed {
        Ok(handle) => {
            describe();
            // Present from the start, so a scrape before the first stream sees 0.
            metrics::gauge!(OPEN_STREAMS).increment(0.0);
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the metrics recorder could not be installed");
            None
        }
    }
}

fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route template, method and status."
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time to the response head by route template, method and status."
    );
    metrics::describe_gauge!(OPEN_STREAMS, "Event streams open now.");
    metrics::describe_counter!(UPSTREAM_CALLS, "Upstream calls by provider and outcome.");
    metrics::describe_histogram!(
        UPSTREAM_DURATION,
        metrics::Unit::Seconds,
        "Upstream call latency by provider and outcome."
    );
    metrics::describe_counter!(TOOL_CALLS, "Tool calls by tool and status.");
    metrics::describe_histogram!(
        COMPLETION_OVERHEAD,
        metrics::Unit::Seconds,
        "Time a completion cost Sybil itself (total minus waiting on upstreams and tools), \
         by mode (whole, stream, resumable)."
    );
    metrics::describe_histogram!(
        TOOL_DURATION,
        metrics::Unit::Seconds,
        "Tool call duration by tool and status."
    );
}

/// The exposition text, or a comment when no exporter could be installed.
pub fn render() -> String {
    match exporter() {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => "# metrics are unavailable: another recorder is installed\n".into(),
    }
}

/// A method outside the standard set is counted as `OTHER`, so clients
/// cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts every request and times it to the response head (a stream's body
/// goes on after that; the open-streams gauge covers it).
pub async fn record_request<E: Endpoint>(
    next: E,
    req: Request,
    routes: Arc<RouteTable>,
) -> Result<Response> {
    let route = routes
        .template(req.uri().path())
        .unwrap_or(UNMATCHED)
        .to_string();
    let method = method_label(req.method());
    let started = Instant::now();
    let result = next.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(resp) => resp.status().as_u16(),
        Err(err) => err.status().as_u16(),
    };
    let labels = [
        ("route", route),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    if REQUESTS_SEEN.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1
        && let Some(handle) = exporter()
    {
        handle.run_upkeep();
    }
    result
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

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
