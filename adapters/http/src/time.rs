//! Timestamps as the contract writes them: UTC, milliseconds, `Z`.

use chrono::{DateTime, Utc};
use sybil_domain::Timestamp;

pub fn iso(ts: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(ts.millis())
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_and_z_always() {
        assert_eq!(iso(Timestamp(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso(Timestamp(1_771_027_200_007)),
            "2026-02-14T00:00:00.007Z"
        );
    }
}
