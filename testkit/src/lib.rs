//! Dev-only fake LLM upstreams on 127.0.0.1 speaking the upstreams' wire
//! formats (docs/decisions.md, "Fake upstreams").
//!
//! ```no_run
//! # async fn demo() {
//! use sybil_testkit::{FakeKind, FakeLlm, Reply};
//! let fake = FakeLlm::start(FakeKind::OpenAi).await;
//! fake.push(Reply::tool_calls(&[("web_search", r#"{"query":"rust"}"#)]));
//! // point the adapter at fake.base_url() with fake.api_key(), then inspect fake.requests()
//! # }
//! ```

mod answer;
mod anthropic;
mod beacon;
mod body;
mod dispatch;
mod errors;
mod models;
pub mod oauth;
mod openai;
mod openai_stream;
pub mod redis_server;
mod reply;
mod server;
pub mod sse;
pub mod sshd;
mod state;
mod tcp_proxy;
mod turn;
mod web;
mod xai;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use reply::{Reply, ReplyKind};

/// A port of 127.0.0.1 nothing listens on (just now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
pub use server::Arrival;
pub use state::Recorded;
pub use tcp_proxy::TcpProxy;
pub use web::{
    ARTICLE_HTML, ExaMode, ExaPath, FakeExa, FakePages, FakeSearxng, JSON_DATA, PLAIN_TEXT,
    PNG_BYTES, SearxngMode,
};

use server::Server;
use state::State;

/// Which upstream a [`FakeLlm`] imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FakeKind {
    /// OpenAI Responses API (`POST /v1/responses`).
    OpenAi,
    /// xAI Chat Completions (`POST /v1/chat/completions`).
    Xai,
    /// Anthropic Messages (`POST /v1/messages`).
    Anthropic,
}

impl fmt::Display for FakeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FakeKind::OpenAi => "OpenAI",
            FakeKind::Xai => "xAI",
            FakeKind::Anthropic => "Anthropic",
        })
    }
}

/// A fake LLM upstream on 127.0.0.1:<free port>, speaking the exact wire format of
/// OpenAI Responses, xAI Chat Completions or Anthropic Messages (docs/decisions.md,
/// "Fake upstreams"), non-streaming and streaming (SSE).
/// Dropping it stops accepting connections.
pub struct FakeLlm {
    server: Server,
    state: Arc<State>,
}

impl FakeLlm {
    /// Bind a free port on 127.0.0.1 and start serving.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start(kind: FakeKind) -> FakeLlm {
        let key = match kind {
            FakeKind::OpenAi => "sk-fake-openai-0123456789abcdef",
            FakeKind::Xai => "xai-fake-0123456789abcdef",
            FakeKind::Anthropic => "sk-ant-fake-0123456789abcdef",
        };
        let state = Arc::new(State::new(kind, key.to_owned(), models::defaults(kind)));
        let server = Server::start(dispatch::handler(state.clone()));
        FakeLlm { server, state }
    }

    /// Which upstream this fake imitates.
    pub fn kind(&self) -> FakeKind {
        self.state.kind
    }

    /// OpenAI/xAI: "http://127.0.0.1:PORT/v1"; Anthropic: "http://127.0.0.1:PORT" (no /v1),
    /// matching how OPENAI_BASE_URL / XAI_BASE_URL / ANTHROPIC_BASE_URL are written.
    pub fn base_url(&self) -> String {
        match self.state.kind {
            FakeKind::Anthropic => format!("http://{}", self.server.addr()),
            FakeKind::OpenAi | FakeKind::Xai => format!("http://{}/v1", self.server.addr()),
        }
    }

    /// The only key the fake accepts (a wrong key gets the provider's own auth error:
    /// OpenAI 401 invalid_api_key envelope that QUOTES the presented key in its message,
    /// xAI 400 {"code","error"} quoting it, Anthropic 401 authentication_error).
    pub fn api_key(&self) -> String {
        self.state.key.clone()
    }

    /// Queue replies for the next calls to the generation endpoint, FIFO. With the queue
    /// empty the fake answers `Reply::text("Hello from the fake <kind>.")` (kind written
    /// `OpenAI`, `xAI`, `Anthropic`). Requests the fake rejects itself (auth, missing
    /// fields, unknown `previous_response_id`…) do not take a reply from the queue.
    pub fn push(&self, reply: Reply) {
        self.state.push(reply);
    }

    /// Every request received (all paths), in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// The requests sent to the generation endpoint only, in arrival order.
    pub fn generation_requests(&self) -> Vec<Recorded> {
        let path = match self.state.kind {
            FakeKind::OpenAi => "/v1/responses",
            FakeKind::Xai => "/v1/chat/completions",
            FakeKind::Anthropic => "/v1/messages",
        };
        let mut all = self.requests();
        all.retain(|r| r.method == "POST" && r.path == path);
        all
    }

    /// Replace the list served by GET /models (OpenAI/xAI) or /v1/models (Anthropic).
    /// Also clears a [`FakeLlm::fail_models`] setting.
    pub fn set_models(&self, ids: &[&str]) {
        self.state
            .set_models(ids.iter().map(|s| (*s).to_owned()).collect());
    }

    /// Make GET models answer this status with the provider's error envelope (until
    /// [`FakeLlm::set_models`] is called).
    pub fn fail_models(&self, status: u16) {
        self.state.fail_models(status);
    }

    /// Number of generation connections the fake saw closed by the client before it
    /// finished answering (to prove a client abort reached the upstream).
    pub fn aborted_by_client(&self) -> usize {
        *self.state.aborted.borrow()
    }

    /// Bytes of event-stream frames the fake has handed to its connections so far
    /// (all streams together). A reader that stops reading stops this from growing
    /// once the socket buffers are full: how backpressure is proven.
    pub fn stream_bytes_sent(&self) -> usize {
        self.state.streamed.load(Ordering::SeqCst)
    }

    /// [`FakeLlm::stream_bytes_sent`] once it has stood still for `still_for`
    /// (or after `give_up`): how far the fake got while its reader paused.
    pub async fn stream_bytes_when_still(&self, still_for: Duration, give_up: Duration) -> usize {
        let started = Instant::now();
        let mut last = self.stream_bytes_sent();
        let mut still_since = Instant::now();
        while still_since.elapsed() < still_for && started.elapsed() < give_up {
            // Sampled, not awaited: a stall is the absence of progress,
            // which only watching over time can show.
            tokio::time::sleep(Duration::from_millis(25)).await;
            let now = self.stream_bytes_sent();
            if now != last {
                last = now;
                still_since = Instant::now();
            }
        }
        last
    }

    /// Whether [`FakeLlm::aborted_by_client`] had reached `n` within `within`
    /// (a hang-up is noticed asynchronously).
    pub async fn wait_for_aborts(&self, n: usize, within: Duration) -> bool {
        let mut aborted = self.state.aborted.subscribe();
        let reached = tokio::time::timeout(within, aborted.wait_for(|a| *a >= n)).await;
        matches!(reached, Ok(Ok(_)))
    }
}

impl fmt::Debug for FakeLlm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLlm")
            .field("kind", &self.state.kind)
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}
