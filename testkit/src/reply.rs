//! Scripted answers a fake upstream gives to its next generation requests.

use std::time::Duration;

use crate::FakeKind;
use crate::errors;

/// One scripted answer, queued with [`crate::FakeLlm::push`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// What to answer.
    pub kind: ReplyKind,
    /// Wait this long before the status line.
    pub delay: Duration,
    /// Wait this long between streamed events.
    pub chunk_delay: Duration,
}

/// What a [`Reply`] answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyKind {
    /// A text answer. Streamed, it is split into several deltas (word by word).
    Text(String),
    /// The model asks for tools (with optional text before them). `reasoning`: a gpt-5 style
    /// reasoning item first (OpenAI; xAI adds `reasoning_content`). `split_arguments`: stream
    /// the arguments in pieces (xAI sends each call whole by default; OpenAI always streams
    /// argument pieces, as the real API does).
    ToolCalls {
        text: String,
        calls: Vec<(String, String)>,
        reasoning: bool,
        split_arguments: bool,
    },
    /// Answer this status with this raw body and content type (and optional retry-after).
    Raw {
        status: u16,
        body: String,
        content_type: String,
        retry_after: Option<u64>,
    },
    /// 200 with a body that is not JSON (streamed: one SSE event whose data is not JSON).
    Malformed,
    /// Close the connection without any answer.
    Drop,
    /// Streaming only: send `after` text deltas of `text`, then cut the connection.
    /// Not streamed: the JSON body is announced in full by `content-length` but cut halfway.
    CutStream { text: String, after: usize },
    /// Streaming only: `after` deltas, then the provider's in-stream error event
    /// (OpenAI nested `error` event, Anthropic `event: error` overloaded_error,
    /// xAI a data chunk `{"error":{...}}` then close).
    /// Not streamed: the provider's error envelope (OpenAI/xAI 500, Anthropic 529).
    StreamError {
        text: String,
        after: usize,
        message: String,
    },
    /// Streaming: `after` text deltas of `text` (events before the first delta included),
    /// then nothing more: the connection stays open, idle, until the client leaves.
    /// Not streamed: the status line never comes. A client leaving counts as an abort.
    Hold { text: String, after: usize },
}

impl Reply {
    fn of(kind: ReplyKind) -> Reply {
        Reply {
            kind,
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
        }
    }

    /// A plain text answer.
    pub fn text(t: &str) -> Reply {
        Reply::of(ReplyKind::Text(t.to_owned()))
    }

    /// Tool calls `(name, arguments JSON text)`, no text, no reasoning, whole arguments.
    pub fn tool_calls(calls: &[(&str, &str)]) -> Reply {
        Reply::of(ReplyKind::ToolCalls {
            text: String::new(),
            calls: calls
                .iter()
                .map(|(n, a)| ((*n).to_owned(), (*a).to_owned()))
                .collect(),
            reasoning: false,
            split_arguments: false,
        })
    }

    /// The provider's own JSON error envelope with this status and message.
    pub fn api_error(kind: FakeKind, status: u16, message: &str) -> Reply {
        Reply::raw(
            status,
            &errors::envelope(kind, status, message, None).to_string(),
        )
    }

    /// `status` with a JSON `body` (any text), no retry-after.
    pub fn raw(status: u16, body: &str) -> Reply {
        Reply::of(ReplyKind::Raw {
            status,
            body: body.to_owned(),
            content_type: "application/json".to_owned(),
            retry_after: None,
        })
    }

    /// 200 with a body that is not JSON.
    pub fn malformed() -> Reply {
        Reply::of(ReplyKind::Malformed)
    }

    /// Close the connection without answering.
    pub fn drop_connection() -> Reply {
        Reply::of(ReplyKind::Drop)
    }

    /// Stream `after` deltas of `text`, then cut the connection.
    pub fn cut_stream(text: &str, after: usize) -> Reply {
        Reply::of(ReplyKind::CutStream {
            text: text.to_owned(),
            after,
        })
    }

    /// Stream `after` deltas of `text`, then the provider's in-stream error event.
    pub fn stream_error(text: &str, after: usize, message: &str) -> Reply {
        Reply::of(ReplyKind::StreamError {
            text: text.to_owned(),
            after,
            message: message.to_owned(),
        })
    }

    /// Stream `after` deltas of `text`, then hold the connection open without sending more.
    pub fn hold(text: &str, after: usize) -> Reply {
        Reply::of(ReplyKind::Hold {
            text: text.to_owned(),
            after,
        })
    }

    /// Wait `d` before the status line.
    pub fn with_delay(self, d: Duration) -> Reply {
        Reply { delay: d, ..self }
    }

    /// Wait `d` between streamed events.
    pub fn with_chunk_delay(self, d: Duration) -> Reply {
        Reply {
            chunk_delay: d,
            ..self
        }
    }

    /// For `Raw`: add a `retry-after` header (seconds). Other kinds are unchanged.
    pub fn with_retry_after(mut self, secs: u64) -> Reply {
        if let ReplyKind::Raw { retry_after, .. } = &mut self.kind {
            *retry_after = Some(secs);
        }
        self
    }

    /// For `ToolCalls`: put a reasoning item first (OpenAI) / `reasoning_content` (xAI).
    pub fn with_reasoning(mut self) -> Reply {
        if let ReplyKind::ToolCalls { reasoning, .. } = &mut self.kind {
            *reasoning = true;
        }
        self
    }

    /// For `ToolCalls`: stream each call's arguments in several pieces (xAI).
    pub fn with_split_arguments(mut self) -> Reply {
        if let ReplyKind::ToolCalls {
            split_arguments, ..
        } = &mut self.kind
        {
            *split_arguments = true;
        }
        self
    }

    /// For `ToolCalls`: text the model writes before its calls.
    pub fn with_text(mut self, t: &str) -> Reply {
        if let ReplyKind::ToolCalls { text, .. } = &mut self.kind {
            *text = t.to_owned();
        }
        self
    }
}
