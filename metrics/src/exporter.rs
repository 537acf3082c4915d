//! The Prometheus exporter: installed once per process as the `metrics`
//! recorder, with every metric's buckets and description.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{
    COMPLETION_OVERHEAD, HTTP_DURATION, HTTP_REQUESTS, LOGINS, OPEN_STREAMS, RATE_LIMIT_DECISIONS,
    SESSION_ROTATIONS, TOOL_CALLS, TOOL_DURATION, UPSTREAM_CALLS, UPSTREAM_DURATION,
};

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

static EXPORTER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often recorded histogram samples are folded into their buckets.
/// Until then each sample is kept (8 bytes): without a scrape, a loaded
/// server's memory grew with every request it served.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

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
            keep_up(handle.clone());
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the metrics recorder could not be installed");
            None
        }
    }
}

/// Folds the samples into buckets on a thread of its own (the exporter
/// is installed outside any runtime too), for the life of the process.
fn keep_up(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        // It only drains a few lists of numbers, but an unoptimised build's
        // frames and jemalloc's slow paths overflowed 64 KiB. Only the
        // pages it touches are resident.
        .stack_size(256 * 1024)
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "the metrics upkeep thread could not start; samples are folded at each scrape");
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
    metrics::describe_counter!(LOGINS, "Login attempts on /api by result.");
    metrics::describe_counter!(
        RATE_LIMIT_DECISIONS,
        "Rate-limit decisions by profile, rule and result."
    );
    metrics::describe_counter!(SESSION_ROTATIONS, "Session rotations by reason.");
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
