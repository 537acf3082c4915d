//! Typing windows (§4.9): 5 s unless told, at most 30 s; zero or less stops.

use crate::Timestamp;

pub const DEFAULT_SECONDS: i64 = 5;
pub const MAX_SECONDS: i64 = 30;

/// When a typing state set at `now` with `seconds` ends (`now` itself clears it).
pub fn typing_until(now: Timestamp, seconds: Option<i64>) -> Timestamp {
    let seconds = seconds.unwrap_or(DEFAULT_SECONDS).clamp(0, MAX_SECONDS);
    Timestamp(now.0 + seconds * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_defaults_caps_and_clears() {
        let now = Timestamp(10_000);
        assert_eq!(typing_until(now, None), Timestamp(15_000));
        assert_eq!(typing_until(now, Some(12)), Timestamp(22_000));
        assert_eq!(typing_until(now, Some(31)), Timestamp(40_000));
        assert_eq!(typing_until(now, Some(0)), now);
        assert_eq!(typing_until(now, Some(-4)), now);
    }
}
