//! Page sizes and cursors of the `/api` lists (§1.7).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::Timestamp;
use crate::account::FieldError;

/// `limit` as asked: absent, zero or negative is `default`; above `max` is `max`.
pub fn page_limit(asked: Option<i64>, default: u64, max: u64) -> u64 {
    match asked {
        Some(n) if n > 0 => (n as u64).min(max),
        _ => default,
    }
}

/// The opaque cursor after an item ordered by `(at, id)`.
pub fn encode_cursor(at: Timestamp, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", at.millis()))
}

/// A cursor this server returned, or 400 on `cursor`.
pub fn decode_cursor(text: &str) -> Result<(Timestamp, Uuid), FieldError> {
    let bad = || {
        FieldError::new(
            "cursor",
            "cursor must be a next_cursor this server returned",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((Timestamp(at), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_cap() {
        assert_eq!(page_limit(None, 50, 100), 50);
        assert_eq!(page_limit(Some(0), 50, 100), 50);
        assert_eq!(page_limit(Some(-3), 50, 100), 50);
        assert_eq!(page_limit(Some(7), 50, 100), 7);
        assert_eq!(page_limit(Some(100), 50, 100), 100);
        assert_eq!(page_limit(Some(101), 50, 100), 100);
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let id = Uuid::from_u128(9);
        let text = encode_cursor(Timestamp(42), id);
        assert_eq!(decode_cursor(&text).unwrap(), (Timestamp(42), id));
        for bad in ["", "!!", "MTI", &URL_SAFE_NO_PAD.encode("x:y")] {
            assert_eq!(decode_cursor(bad).unwrap_err().field, "cursor");
        }
    }
}
