//! The redirect policy: every hop is counted and its URL re-checked by the guard before it is requested.

use std::sync::Arc;

use reqwest::redirect::{Attempt, Policy};
use url::Url;

use super::guard::{Guard, Refusal};

/// A redirect that was not followed, with the hop that was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused to follow the redirect to {to}: {refusal}")]
pub(crate) struct RedirectRefused {
    /// The hop's URL as text (a `Url` would make every `Result` of this type large).
    pub to: String,
    pub refusal: Refusal,
}

/// `previous` counts the URLs already requested, the first one included, so
/// it equals the number of this hop: hop `max + 1` is refused.
pub(crate) fn check_hop(
    guard: &Guard,
    next: &Url,
    previous: usize,
    max_redirects: usize,
) -> Result<(), RedirectRefused> {
    let refuse = |refusal| RedirectRefused {
        to: next.to_string(),
        refusal,
    };
    if previous > max_redirects {
        return Err(refuse(Refusal::TooManyRedirects(max_redirects)));
    }
    guard.check_url(next).map_err(refuse)
}

pub(crate) fn policy(guard: Arc<Guard>, max_redirects: usize) -> Policy {
    Policy::custom(move |attempt: Attempt| {
        match check_hop(
            &guard,
            attempt.url(),
            attempt.previous().len(),
            max_redirects,
        ) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn hops_up_to_the_limit_are_followed() {
        let guard = Guard::default();
        for previous in 1..=5 {
            assert_eq!(
                check_hop(&guard, &url("https://example.com/"), previous, 5),
                Ok(())
            );
        }
        let err = check_hop(&guard, &url("https://example.com/"), 6, 5).unwrap_err();
        assert_eq!(err.refusal, Refusal::TooManyRedirects(5));
        assert_eq!(
            err.to_string(),
            "refused to follow the redirect to https://example.com/: more than 5 redirects"
        );
    }

    #[test]
    fn each_hop_is_rechecked() {
        let guard = Guard::new(false, vec!["127.0.0.1:8000".parse().unwrap()]);
        assert_eq!(
            check_hop(&guard, &url("http://127.0.0.1:8000/next"), 1, 5),
            Ok(())
        );
        // The same socket address once parsed: the exemption applies.
        assert_eq!(check_hop(&guard, &url("http://0x7f.1:8000/"), 1, 5), Ok(()));
        for to in [
            "http://127.0.0.1:8001/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]:8000/",
            "http://10.0.0.1/",
        ] {
            let err = check_hop(&guard, &url(to), 1, 5).unwrap_err();
            assert!(matches!(err.refusal, Refusal::Blocked { .. }), "{to}");
        }
        let err = check_hop(&guard, &url("file:///etc/passwd"), 1, 5).unwrap_err();
        assert!(matches!(err.refusal, Refusal::Scheme(_)));
    }

    #[test]
    fn zero_redirects_allowed() {
        let err = check_hop(&Guard::new(true, vec![]), &url("https://a/"), 1, 0).unwrap_err();
        assert_eq!(err.refusal, Refusal::TooManyRedirects(0));
    }
}
