//! The overhead of a completion: what it cost Sybil itself.

use std::time::Duration;

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

/// Records a finished completion's overhead (`total` minus `waited`, never
/// below zero) and returns it in milliseconds.
pub fn record_completion_overhead(mode: CompletionMode, total: Duration, waited: Duration) -> f64 {
    let overhead = total.saturating_sub(waited);
    metrics::histogram!(COMPLETION_OVERHEAD, "mode" => mode.as_str())
        .record(overhead.as_secs_f64());
    overhead.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overhead_is_total_minus_waiting_and_never_negative() {
        let total = Duration::from_millis(12);
        let ms =
            record_completion_overhead(CompletionMode::Whole, total, Duration::from_millis(10));
        assert!((ms - 2.0).abs() < 1e-9, "{ms}");
        let waited_longer = Duration::from_millis(15);
        assert_eq!(
            record_completion_overhead(CompletionMode::Stream, total, waited_longer),
            0.0
        );
    }
}
