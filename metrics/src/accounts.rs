//! Sign-ins and sessions of `/api`.

/// Counter: login attempts, label `result`
/// (`success|invalid_credentials|disabled|rate_limited`).
pub const LOGINS: &str = "sybil_logins_total";
/// Counter: session rotations, label `reason` (`refresh|idle|roles|membership`).
pub const SESSION_ROTATIONS: &str = "sybil_session_rotations_total";

pub fn record_login(result: &'static str) {
    metrics::counter!(LOGINS, "result" => result).increment(1);
}

pub fn record_session_rotation(reason: &'static str) {
    metrics::counter!(SESSION_ROTATIONS, "reason" => reason).increment(1);
}
