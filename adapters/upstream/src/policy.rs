//! The retry policy Sybil promises for every upstream call: at most two
//! retries, on 429, 5xx and connection errors, `Retry-After` honoured up to 5 s.

use std::time::Duration;

use crate::chain::is_timeout;

/// Retries after the first attempt (so at most three requests).
pub const MAX_RETRIES: u32 = 2;
/// A longer `Retry-After` is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Waits before retry 1 and 2 when the upstream suggests none.
pub const BACKOFF: [Duration; MAX_RETRIES as usize] =
    [Duration::from_millis(200), Duration::from_millis(400)];

/// 429 and every 5xx (Anthropic's 529 overloaded included). 408 and 409,
/// which the vendor SDKs also retry, are left out: no upstream of Sybil's
/// sends them for a request worth repeating.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// A request that got no answer is worth another try when the failure was
/// on the way (refused, reset, closed early, TLS): those are the
/// "connection errors" the policy retries. Not retried:
/// - a timeout: the attempt already used the whole per-call budget
///   (`UPSTREAM_TIMEOUT_MS`), and two more would triple the wait;
/// - a request that could not be built, or a redirect the client refused
///   (a loop, too many hops): the next attempt fails the same way.
///
/// (The LLM adapter said "connection errors", the web adapter "anything but
/// a timeout"; this is the one rule for both.)
pub fn is_retryable_transport(error: &reqwest::Error) -> bool {
    !(error.is_builder() || error.is_redirect() || is_timeout(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn retryable_statuses() {
        for s in [429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 302, 400, 401, 402, 403, 404, 408, 409, 413, 422] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn a_request_that_cannot_be_built_is_not_retried() {
        let error = reqwest::Client::new().get("not a url").build().unwrap_err();
        assert!(!is_retryable_transport(&error));
    }

    #[tokio::test]
    async fn a_refused_connection_is_retried() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let error = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(error.is_connect(), "{error:?}");
        assert!(is_retryable_transport(&error));
    }

    #[tokio::test]
    async fn a_timeout_is_not_retried() {
        // Accepts and never answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(50))
            .build()
            .unwrap();
        let error = client.get(url).send().await.unwrap_err();
        assert!(is_timeout(&error), "{error:?}");
        assert!(!is_retryable_transport(&error));
    }
}
