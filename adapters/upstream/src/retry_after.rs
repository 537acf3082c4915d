//! The wait an upstream asks for before a retry, in every form it is sent.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::policy::MAX_RETRY_AFTER;

/// OpenAI's millisecond form, which openai-python prefers over `Retry-After`.
const RETRY_AFTER_MS: &str = "retry-after-ms";

/// The wait the upstream asks for, capped at `MAX_RETRY_AFTER`:
/// `retry-after-ms` (milliseconds) when present and valid, else
/// `Retry-After` as delay-seconds (a fraction accepted) or as an HTTP date
/// (the time left until then as of `now`; a date in the past means "now").
/// `None` when neither header holds a valid value.
///
/// Every upstream is read the same way: before, the web adapter ignored
/// `retry-after-ms` and both ignored the date form, so a 503 with
/// `Retry-After: <date>` was retried after the fixed backoff instead.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name| headers.get(name)?.to_str().ok().map(str::trim);
    let wait = text(RETRY_AFTER_MS)
        .and_then(non_negative)
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| {
            let value = text(RETRY_AFTER.as_str())?;
            match non_negative(value) {
                Some(seconds) => Some(Duration::from_secs_f64(seconds)),
                None => {
                    let at = httpdate::parse_http_date(value).ok()?;
                    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
                }
            }
        })?;
    Some(wait.min(MAX_RETRY_AFTER))
}

/// A finite number of at least zero, small enough to be a `Duration`.
fn non_negative(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (0.0..=1e9).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn wait(pairs: &[(&'static str, &'static str)]) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        // Wed, 21 Oct 2015 07:28:00 GMT
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        retry_after(&headers, now)
    }

    #[test]
    fn absent_or_invalid_is_none() {
        assert_eq!(wait(&[]), None);
        for bad in ["soon", "-1", "NaN", "inf", "1e300", ""] {
            assert_eq!(wait(&[("retry-after", bad)]), None, "{bad}");
            assert_eq!(wait(&[("retry-after-ms", bad)]), None, "{bad}");
        }
    }

    #[test]
    fn seconds_whole_or_fractional() {
        assert_eq!(wait(&[("retry-after", "1")]), Some(Duration::from_secs(1)));
        assert_eq!(
            wait(&[("retry-after", " 0.25 ")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(wait(&[("retry-after", "0")]), Some(Duration::ZERO));
    }

    #[test]
    fn milliseconds_win_over_seconds() {
        assert_eq!(
            wait(&[("retry-after-ms", "250"), ("retry-after", "3")]),
            Some(Duration::from_millis(250))
        );
        // An invalid millisecond value falls back to `Retry-After`.
        assert_eq!(
            wait(&[("retry-after-ms", "x"), ("retry-after", "3")]),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn an_http_date_is_the_time_left() {
        assert_eq!(
            wait(&[("retry-after", "Wed, 21 Oct 2015 07:28:03 GMT")]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait(&[("retry-after", "Wed, 21 Oct 2015 07:27:00 GMT")]),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn every_form_is_capped() {
        for (name, value) in [
            ("retry-after", "60"),
            ("retry-after-ms", "60000"),
            ("retry-after", "Wed, 21 Oct 2015 08:28:00 GMT"),
        ] {
            assert_eq!(wait(&[(name, value)]), Some(MAX_RETRY_AFTER), "{name}");
        }
    }
}
