//! Turns a planned [`Answer`] into bytes on the socket: delays, cuts, drops, abort detection.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::stream;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use tokio::sync::watch;

use crate::answer::{Answer, Body, Tail};

pub(crate) type HttpBody = UnsyncBoxBody<Bytes, io::Error>;

/// How long a cut waits so the bytes already written reach the client first.
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(30);

/// Counts one client abort when dropped while still armed.
pub(crate) struct AbortGuard {
    counter: Arc<watch::Sender<usize>>,
    armed: bool,
}

impl AbortGuard {
    pub fn new(counter: Arc<watch::Sender<usize>>, armed: bool) -> AbortGuard {
        AbortGuard { counter, armed }
    }

    /// The fake finished (or chose to stop): no abort to count.
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if self.armed {
            self.counter.send_modify(|n| *n += 1);
        }
    }
}

/// The response for `answer`; `Err` makes hyper close the connection without answering.
/// `streamed` counts the bytes of event frames as hyper takes them.
pub(crate) fn respond(
    answer: Answer,
    guard: AbortGuard,
    streamed: &Arc<AtomicUsize>,
) -> io::Result<Response<HttpBody>> {
    let (content_type, body) = match answer.body {
        Body::Drop => {
            guard.disarm();
            return Err(io::Error::other("fake upstream dropped the connection"));
        }
        // `server::handle` waits for the client to leave before getting here.
        Body::Hang => return Err(io::Error::other("fake upstream never answered")),
        Body::Full {
            content_type,
            bytes,
        } => {
            guard.disarm();
            let body = Full::new(Bytes::from(bytes))
                .map_err(|never| match never {})
                .boxed_unsync();
            (content_type, body)
        }
        Body::Truncated {
            content_type,
            bytes,
            sent,
        } => {
            guard.disarm();
            let total = bytes.len();
            let mut bytes = Bytes::from(bytes);
            let head = bytes.split_to(sent);
            let mut resp = build(
                answer.status,
                &answer.headers,
                &content_type,
                cut_after(std::iter::once(head), Duration::ZERO),
            )?;
            resp.headers_mut()
                .insert(hyper::header::CONTENT_LENGTH, total.into());
            return Ok(resp);
        }
        Body::Events {
            content_type,
            frames,
            chunk_delay,
            tail,
        } => {
            let streamed = streamed.clone();
            let frames = frames.into_iter().map(Bytes::from).inspect(move |frame| {
                streamed.fetch_add(frame.len(), Ordering::SeqCst);
            });
            let body = match tail {
                Tail::Cut => {
                    guard.disarm();
                    cut_after(frames, chunk_delay)
                }
                Tail::End => paced(frames, chunk_delay, guard, false),
                Tail::Hold => paced(frames, chunk_delay, guard, true),
            };
            let mut resp = build(answer.status, &answer.headers, content_type, body)?;
            resp.headers_mut().insert(
                hyper::header::CACHE_CONTROL,
                hyper::header::HeaderValue::from_static("no-cache"),
            );
            return Ok(resp);
        }
    };
    build(answer.status, &answer.headers, &content_type, body)
}

fn build(
    status: u16,
    headers: &[(&'static str, String)],
    content_type: &str,
    body: HttpBody,
) -> io::Result<Response<HttpBody>> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", content_type);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(body).map_err(io::Error::other)
}

/// Frames `delay` apart; the guard is disarmed only once the last frame went out.
/// With `hold` the body never ends: after the last frame it waits, armed, for the
/// client to leave.
fn paced(
    frames: impl Iterator<Item = Bytes> + Send + 'static,
    delay: Duration,
    guard: AbortGuard,
    hold: bool,
) -> HttpBody {
    let state = (frames, true, Some(guard));
    let s = stream::unfold(state, move |(mut frames, first, mut guard)| async move {
        match frames.next() {
            Some(frame) => {
                if !first && !delay.is_zero() {
                    // Simulation: an upstream that writes its events slowly.
                    tokio::time::sleep(delay).await;
                }
                Some((Ok(Frame::data(frame)), (frames, false, guard)))
            }
            None => {
                if hold {
                    std::future::pending::<()>().await;
                }
                if let Some(g) = guard.take() {
                    g.disarm();
                }
                None
            }
        }
    });
    StreamBody::new(s).boxed_unsync()
}

/// Frames `delay` apart, then an I/O error so hyper aborts the connection mid-body.
fn cut_after(frames: impl Iterator<Item = Bytes> + Send + 'static, delay: Duration) -> HttpBody {
    let state = (frames, true, false);
    let s = stream::unfold(state, move |(mut frames, first, done)| async move {
        if done {
            return None;
        }
        match frames.next() {
            Some(frame) => {
                if !first && !delay.is_zero() {
                    // Simulation: an upstream that writes its events slowly.
                    tokio::time::sleep(delay).await;
                }
                Some((Ok(Frame::data(frame)), (frames, false, false)))
            }
            None => {
                // hyper tells no one when the bytes it took reached the
                // socket; the error would otherwise discard them.
                tokio::time::sleep(FLUSH_BEFORE_CUT.max(delay)).await;
                Some((
                    Err(io::Error::other("fake upstream cut the stream")),
                    (frames, false, true),
                ))
            }
        }
    });
    StreamBody::new(s).boxed_unsync()
}
