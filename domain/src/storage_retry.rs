//! How long a write that must not be lost (a resumable job's event, an
//! `LlmCall` row) keeps trying while the database is unavailable.

use std::time::Duration;

/// The waits before each new attempt: about 6 s in all, longer than a
/// restart of the connection or a failover blip, short enough that what
/// waits behind the write (a job's followers, the call-log queue) does not
/// stall for long.
pub const STORAGE_RETRY_DELAYS: [Duration; 6] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_millis(1600),
    Duration::from_millis(3200),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retries_span_about_six_seconds_doubling_each_time() {
        let total: Duration = STORAGE_RETRY_DELAYS.iter().sum();
        assert_eq!(total, Duration::from_millis(6300));
        for pair in STORAGE_RETRY_DELAYS.windows(2) {
            assert_eq!(pair[1], pair[0] * 2);
        }
    }
}
