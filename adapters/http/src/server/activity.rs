//! What one connection is doing, for its two deadlines: the header-read
//! timeout (a request must arrive whole once it has begun, and a new
//! connection must send one) and the idle timeout (no request in flight).
//!
//! Watched here rather than by hyper: hyper's `header_read_timeout` also runs
//! while a kept-alive connection waits for its next request, so the idle time
//! could never be longer than it, and HTTP/2 has neither.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The connection settings `serve` applies to every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a connection's start, or from the first byte of a request on a
    /// kept-alive one, until that request's headers are complete.
    pub header_read_timeout: Duration,
    /// How long a connection may stay with no request in flight (an open
    /// event stream is a request in flight).
    pub idle_timeout: Duration,
    /// Open connections at most; beyond it new ones wait, unaccepted, in the
    /// listen queue until one closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
        }
    }
}

struct State {
    in_flight: usize,
    /// Since when nothing has been in flight.
    idle_since: Instant,
    /// The first byte read while nothing was in flight: a request begun.
    request_begun: Option<Instant>,
    /// No request yet: the connection's start counts as a request begun.
    answered_any: bool,
    /// HTTP/2 reads pings and window updates between requests; those are
    /// not a request begun.
    http2: bool,
}

/// Shared by the connection's I/O, its service and its watcher.
pub(crate) struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
                request_begun: None,
                answered_any: false,
                http2: false,
            }),
            changed: Notify::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a few plain fields, valid even after a panic.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_http2(&self) {
        self.state().http2 = true;
    }

    /// A request's headers are complete: it is in flight until the guard,
    /// held by its response body, is dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        let mut s = self.state();
        s.in_flight += 1;
        s.answered_any = true;
        s.request_begun = None;
        drop(s);
        self.changed.notify_one();
        InFlight(self.clone())
    }

    fn read_some(&self) {
        let mut s = self.state();
        if s.in_flight == 0 && s.request_begun.is_none() && !s.http2 {
            s.request_begun = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }

    /// When the connection must be closed as things stand; `None` while a
    /// request is in flight.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        let s = self.state();
        if s.in_flight > 0 {
            None
        } else if !s.answered_any {
            Some(s.idle_since + limits.header_read_timeout)
        } else if let Some(begun) = s.request_begun {
            Some(begun + limits.header_read_timeout)
        } else {
            Some(s.idle_since + limits.idle_timeout)
        }
    }

    /// Resolves when the connection is past one of its deadlines.
    pub(crate) async fn expired(&self, limits: ConnectionLimits) {
        loop {
            match self.deadline(&limits) {
                Some(at) if at <= Instant::now() => return,
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// One request in flight; dropped with its response body.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.state();
        s.in_flight -= 1;
        if s.in_flight == 0 {
            s.idle_since = Instant::now();
            s.request_begun = None;
        }
        drop(s);
        self.0.changed.notify_one();
    }
}

/// A response body that keeps its request in flight until it is dropped.
pub(crate) struct TrackedBody<B> {
    pub(crate) inner: B,
    pub(crate) _in_flight: InFlight,
}

impl<B: Body + Unpin> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, telling the connection's activity when bytes arrive.
pub(crate) struct WatchedIo<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> WatchedIo<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Self {
        WatchedIo { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
