//! Sends one upstream request under the retry policy, one tracing span per
//! attempt. Used for every call and for the opening request of a stream; a
//! stream that has started is never retried.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use tracing::Instrument;
use tracing::field::Empty;

use crate::body::read_capped;
use crate::policy::{BACKOFF, MAX_RETRIES, is_retryable_status, is_retryable_transport};
use crate::retry_after::retry_after;

/// Who is calling what: names the span. Neither the URL nor any header is
/// logged (a query or a header may carry a key).
pub struct Target<'a> {
    /// The provider or engine (`openai`, `exa`).
    pub upstream: &'a str,
    /// The model asked for, when there is one.
    pub model: Option<&'a str>,
    pub operation: &'static str,
    /// An error body that says retrying cannot help although the status
    /// would allow it (OpenAI's `insufficient_quota` 429).
    pub hopeless: fn(&[u8]) -> bool,
}

impl<'a> Target<'a> {
    /// No model, and every retryable status worth retrying.
    pub fn new(upstream: &'a str, operation: &'static str) -> Self {
        Target {
            upstream,
            model: None,
            operation,
            hopeless: |_| false,
        }
    }
}

/// How the last attempt ended when it was not a success.
#[derive(Debug)]
pub enum Failed<E> {
    /// A non-success status with the start of its body (`read_capped`).
    Status { status: u16, body: Vec<u8> },
    /// No answer: timeout, refused, reset.
    Transport(reqwest::Error),
    /// The caller could not build the request.
    Build(E),
}

/// Sends the request `make` builds (rebuilt for every attempt) and returns
/// the first success, or how the last attempt failed.
pub async fn send<F, Fut, E>(
    http: &reqwest::Client,
    target: &Target<'_>,
    mut make: F,
) -> Result<reqwest::Response, Failed<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<reqwest::Request, E>>,
{
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let may_retry = attempt <= MAX_RETRIES;
        let request = make().await.map_err(Failed::Build)?;
        let span = tracing::info_span!(
            "upstream_call",
            upstream = target.upstream,
            model = target.model,
            operation = target.operation,
            attempt,
            status = Empty,
            latency_ms = Empty,
        );
        let started = Instant::now();
        let result = http.execute(request).instrument(span.clone()).await;
        span.record("latency_ms", millis(started.elapsed()));

        let wait = match result {
            Ok(response) if response.status().is_success() => {
                span.record("status", response.status().as_u16());
                tracing::debug!(parent: &span, "upstream answered");
                return Ok(response);
            }
            Ok(response) => {
                let status = response.status().as_u16();
                span.record("status", status);
                let suggested = retry_after(response.headers(), SystemTime::now());
                let body = read_capped(response).await;
                let retryable = is_retryable_status(status) && !(target.hopeless)(&body);
                if !(may_retry && retryable) {
                    tracing::warn!(parent: &span, status, "upstream answered with an error");
                    return Err(Failed::Status { status, body });
                }
                suggested.unwrap_or(BACKOFF[attempt as usize - 1])
            }
            Err(error) => {
                if !(may_retry && is_retryable_transport(&error)) {
                    tracing::warn!(parent: &span, timeout = error.is_timeout(), "upstream call failed");
                    return Err(Failed::Transport(error));
                }
                BACKOFF[attempt as usize - 1]
            }
        };
        tracing::info!(parent: &span, wait_ms = millis(wait), "retrying upstream call");
        tokio::time::sleep(wait).await;
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Answers the n-th connection with `replies[n]` (the last one repeats)
    /// and counts the requests.
    async fn canned(replies: Vec<&'static str>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let reply = replies[n.min(replies.len() - 1)];
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        (url, count)
    }

    const BUSY: &str = "HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 0\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy";
    const QUOTA: &str = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 5\r\nconnection: close\r\n\r\nquota";
    const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

    fn target(hopeless: fn(&[u8]) -> bool) -> Target<'static> {
        Target {
            hopeless,
            ..Target::new("test", "get")
        }
    }

    fn never(_body: &[u8]) -> bool {
        false
    }

    async fn get(url: &str, hopeless: fn(&[u8]) -> bool) -> Result<reqwest::Response, Failed<()>> {
        let http = reqwest::Client::new();
        send(&http, &target(hopeless), || {
            std::future::ready(http.get(url).build().map_err(|_| ()))
        })
        .await
    }

    #[tokio::test]
    async fn retries_until_a_success() {
        let (url, count) = canned(vec![BUSY, BUSY, OK]).await;
        let response = get(&url, never).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_two_retries_with_the_last_body() {
        let (url, count) = canned(vec![BUSY]).await;
        match get(&url, never).await {
            Err(Failed::Status { status, body }) => {
                assert_eq!((status, &body[..]), (503, &b"busy"[..]))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count.load(Ordering::SeqCst), 1 + MAX_RETRIES as usize);
    }

    #[tokio::test]
    async fn a_hopeless_body_is_not_retried() {
        let (url, count) = canned(vec![QUOTA, OK]).await;
        let result = get(&url, |body| body == b"quota").await;
        assert!(matches!(result, Err(Failed::Status { status: 429, .. })));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_build_failure_sends_nothing() {
        let http = reqwest::Client::new();
        let result = send(&http, &target(never), || {
            std::future::ready(Err::<reqwest::Request, _>("no request"))
        })
        .await;
        assert!(matches!(result, Err(Failed::Build("no request"))));
    }
}
