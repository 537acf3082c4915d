//! sybil-metrics: every metric Sybil exports — names, labels, buckets and
//! descriptions — and the calls that record them through the process-wide
//! `metrics` recorder, plus the Prometheus exporter `GET /metrics` renders.
//! Without an installed recorder (unit tests) recording does nothing.
//! Why a crate of its own: docs/decisions.md, "Metrics".

mod accounts;
mod calls;
mod completions;
mod exporter;
mod http;
mod rate_limits;

pub use accounts::{LOGINS, SESSION_ROTATIONS, record_login, record_session_rotation};
pub use calls::{
    TOOL_CALLS, TOOL_DURATION, UPSTREAM_CALLS, UPSTREAM_DURATION, UpstreamOutcome,
    record_tool_call, record_upstream_call,
};
pub use completions::{COMPLETION_OVERHEAD, CompletionMode, record_completion_overhead};
pub use exporter::{exporter, render};
pub use http::{HTTP_DURATION, HTTP_REQUESTS, OPEN_STREAMS, OpenStream, record_http_request};
pub use rate_limits::{RATE_LIMIT_DECISIONS, record_rate_limit};
