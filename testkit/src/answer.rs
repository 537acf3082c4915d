//! What the server should send back: a provider-neutral plan built before any I/O.

use std::time::Duration;

use serde_json::Value;

use crate::{Reply, ReplyKind};

/// A planned HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// Counted by `aborted_by_client` when the client leaves before the end.
    pub generation: bool,
    pub delay: Duration,
    pub body: Body,
}

#[derive(Debug)]
pub(crate) enum Body {
    Full {
        content_type: String,
        bytes: Vec<u8>,
    },
    /// `content-length` announces all of `bytes`, only the first `sent` go out, then a cut.
    Truncated {
        content_type: String,
        bytes: Vec<u8>,
        sent: usize,
    },
    /// SSE events, one write each, `chunk_delay` apart, then `tail`.
    Events {
        content_type: &'static str,
        frames: Vec<String>,
        chunk_delay: Duration,
        tail: Tail,
    },
    /// Close the connection without answering.
    Drop,
    /// Never answer; keep the connection open until the client leaves.
    Hang,
}

/// What follows the last frame of an event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    /// The body ends normally.
    End,
    /// The connection breaks.
    Cut,
    /// Nothing more is sent; the connection stays open until the client leaves.
    Hold,
}

impl Answer {
    fn new(status: u16, body: Body) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            generation: false,
            delay: Duration::ZERO,
            body,
        }
    }

    pub fn json(status: u16, value: &Value) -> Answer {
        Answer::new(
            status,
            Body::Full {
                content_type: "application/json".to_owned(),
                bytes: value.to_string().into_bytes(),
            },
        )
    }

    pub fn truncated_json(value: &Value) -> Answer {
        let bytes = value.to_string().into_bytes();
        let sent = bytes.len() / 2;
        Answer::new(
            200,
            Body::Truncated {
                content_type: "application/json".to_owned(),
                bytes,
                sent,
            },
        )
    }

    pub fn events(content_type: &'static str, frames: Vec<String>, tail: Tail) -> Answer {
        Answer::new(
            200,
            Body::Events {
                content_type,
                frames,
                chunk_delay: Duration::ZERO,
                tail,
            },
        )
    }

    /// No status line ever: the client waits until it gives up.
    pub fn hang() -> Answer {
        Answer::new(0, Body::Hang)
    }

    pub fn header(mut self, name: &'static str, value: String) -> Answer {
        self.headers.push((name, value));
        self
    }

    /// Mark as a generation answer and apply the reply's timings.
    pub fn timed(mut self, reply: &Reply) -> Answer {
        self.generation = true;
        self.delay = reply.delay;
        if let Body::Events { chunk_delay, .. } = &mut self.body {
            *chunk_delay = reply.chunk_delay;
        }
        self
    }

    /// The answers every provider gives the same way: `Raw`, `Malformed`, `Drop`.
    /// `malformed_frame` is the SSE event to send for `Malformed` when streaming.
    pub fn common(reply: &Reply, stream: Option<(&'static str, String)>) -> Option<Answer> {
        let answer = match &reply.kind {
            ReplyKind::Raw {
                status,
                body,
                content_type,
                retry_after,
            } => {
                let mut a = Answer::new(
                    *status,
                    Body::Full {
                        content_type: content_type.clone(),
                        bytes: body.clone().into_bytes(),
                    },
                );
                if let Some(secs) = retry_after {
                    a = a.header("retry-after", secs.to_string());
                }
                a
            }
            ReplyKind::Malformed => match stream {
                Some((content_type, frame)) => Answer::events(content_type, vec![frame], Tail::End),
                None => Answer::new(
                    200,
                    Body::Full {
                        content_type: "application/json".to_owned(),
                        bytes: b"<html>this is not JSON {".to_vec(),
                    },
                ),
            },
            ReplyKind::Drop => Answer::new(0, Body::Drop),
            _ => return None,
        };
        Some(answer.timed(reply))
    }
}
