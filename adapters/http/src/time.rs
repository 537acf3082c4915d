//! Timestamps as the contract writes them: UTC, milliseconds, `Z`.

use chrono::{DateTime, SecondsFormat, Utc};
use sybil_domain::Timestamp;

/// `2026-02-14T00:00:00.007Z`. chrono's RFC 3339 writer, not a `format`
/// string: a long transcript writes two per message, and parsing the format
/// each time showed in the profile of a 1,000-message read.
pub fn iso(ts: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(ts.millis())
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
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
        assert_eq!(
            iso(Timestamp(253_402_300_799_999)),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
