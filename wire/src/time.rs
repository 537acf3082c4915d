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

/// A client's RFC 3339 time (any offset), to the millisecond.
pub fn parse_iso(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| Timestamp(t.timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_times_read_back_with_any_offset() {
        assert_eq!(
            parse_iso("2026-02-14T00:00:00.007Z"),
            Some(Timestamp(1_771_027_200_007))
        );
        assert_eq!(
            parse_iso("2026-02-14T01:00:00.007+01:00"),
            Some(Timestamp(1_771_027_200_007))
        );
        assert_eq!(parse_iso("yesterday"), None);
    }

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
