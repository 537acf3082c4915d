//! The metrics port: the names and labels of the metrics the core records,
//! and the calls that record them through the `metrics` facade. Without an
//! installed recorder (unit tests) they do nothing; the composition root
//! installs the Prometheus exporter that `GET /metrics` renders.

use std::time::Duration;

use sybil_domain::tool_loop::ToolName;

/// Counter: upstream calls, labels `provider` and `outcome`.
pub const UPSTREAM_CALLS: &str = "sybil_upstream_calls_total";
/// Histogram (seconds): upstream call latency, labels `provider` and `outcome`.
pub const UPSTREAM_DURATION: &str = "sybil_upstream_call_duration_seconds";
/// Counter: tool calls, labels `tool` and `status` (`completed|failed`).
pub const TOOL_CALLS: &str = "sybil_tool_calls_total";
/// Histogram (seconds): tool call duration, labels `tool` and `status`.
pub const TOOL_DURATION: &str = "sybil_tool_call_duration_seconds";

/// How an upstream call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamOutcome {
    Ok,
    Error,
    /// A streamed call dropped before it finished (the client went away).
    Stopped,
}

impl UpstreamOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamOutcome::Ok => "ok",
            UpstreamOutcome::Error => "error",
            UpstreamOutcome::Stopped => "stopped",
        }
    }
}

/// Records one upstream call (`provider` is `openai`, `anthropic`, `xai`, `exa`).
pub fn record_upstream_call(provider: &'static str, outcome: UpstreamOutcome, elapsed: Duration) {
    let labels = [("provider", provider), ("outcome", outcome.as_str())];
    metrics::counter!(UPSTREAM_CALLS, &labels).increment(1);
    metrics::histogram!(UPSTREAM_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// Records one tool call. A name the model made up is counted as `unknown`,
/// so a model cannot grow the label set without bound.
pub fn record_tool_call(tool: &str, status: &'static str, elapsed: Duration) {
    let tool = ToolName::parse(tool).map_or("unknown", ToolName::as_str);
    let labels = [("tool", tool), ("status", status)];
    metrics::counter!(TOOL_CALLS, &labels).increment(1);
    metrics::histogram!(TOOL_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// Histogram (seconds): what a completion cost Sybil itself — its total time
/// minus the time spent waiting on upstream model calls and tools — label
/// `mode`.
pub const COMPLETION_OVERHEAD: &str = "sybil_completion_overhead_seconds";

/// How a completion was served, the `mode` label of [`COMPLETION_OVERHEAD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionMode {
    /// A whole answer (`/v1/chat-completions`, `/openai/v1` without `stream`).
    Whole,
    /// An event stream tied to its client.
    Stream,
    /// A resumable job.
    Resumable,
}

impl CompletionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CompletionMode::Whole => "whole",
            CompletionMode::Stream => "stream",
            CompletionMode::Resumable => "resumable",
        }
    }
}

/// Records a finished completion's overhead (`total` minus `waited_ms`, never
/// below zero) and returns it in milliseconds.
pub fn record_completion_overhead(mode: CompletionMode, total: Duration, waited_ms: f64) -> f64 {
    let overhead_ms = (total.as_secs_f64() * 1e3 - waited_ms).max(0.0);
    metrics::histogram!(COMPLETION_OVERHEAD, "mode" => mode.as_str()).record(overhead_ms / 1e3);
    overhead_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overhead_is_total_minus_waiting_and_never_negative() {
        let total = Duration::from_millis(12);
        assert!(
            (record_completion_overhead(CompletionMode::Whole, total, 10.0) - 2.0).abs() < 1e-9
        );
        assert_eq!(
            record_completion_overhead(CompletionMode::Stream, total, 15.0),
            0.0
        );
    }
}
