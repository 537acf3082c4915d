//! Rate-limit decisions (§4.13).

/// Counter: rate-limit decisions, labels `profile`, `rule` (the assignment's
/// `METHOD pattern`, `default` or `posting`) and `result`
/// (`allowed|limited|unchecked`; `unchecked` while Redis is unreachable).
pub const RATE_LIMIT_DECISIONS: &str = "sybil_rate_limit_decisions_total";

pub fn record_rate_limit(profile: &str, rule: &str, result: &'static str) {
    metrics::counter!(
        RATE_LIMIT_DECISIONS,
        "profile" => profile.to_string(),
        "rule" => rule.to_string(),
        "result" => result
    )
    .increment(1);
}
