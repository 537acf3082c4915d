//! Calls that leave the process: upstream HTTP calls and tool calls.

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
