//! Shared state of one LLM fake: reply queue, model list, stored responses.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::watch;

use crate::{FakeKind, FakeLlm, Reply};

/// Chooses the reply to a generation request from the request itself.
type Responder = Arc<dyn Fn(&Recorded) -> Option<Reply> + Send + Sync>;

/// One request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub method: String,
    /// Path only, e.g. `/v1/responses`.
    pub path: String,
    /// Raw query string without `?` (`""` when none).
    pub query: String,
    /// Lowercase header names; repeated headers joined with `", "`.
    pub headers: HashMap<String, String>,
    /// The body parsed as JSON, `Null` when it is not JSON (or empty).
    pub body: serde_json::Value,
}

impl Recorded {
    /// A header's value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The text of the last `user` message of a generation request, in any of the
    /// three wire formats (OpenAI `input`, xAI and Anthropic `messages`; content as a
    /// string or as parts, text parts joined). `None` when there is no user message.
    pub fn last_user_text(&self) -> Option<String> {
        let items = match (&self.body["input"], &self.body["messages"]) {
            (Value::String(s), _) => return Some(s.clone()),
            (Value::Array(items), _) | (_, Value::Array(items)) => items,
            _ => return None,
        };
        let last = items
            .iter()
            .rev()
            .find(|i| i["role"] == "user" && i["type"].as_str().is_none_or(|t| t == "message"))?;
        match &last["content"] {
            Value::String(s) => Some(s.clone()),
            Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| p["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(""),
            ),
            _ => None,
        }
    }
}

impl FakeLlm {
    /// Choose the reply of every generation request from the request itself (e.g. by a
    /// marker in [`Recorded::last_user_text`]), so replies match requests under any
    /// concurrency. Checked before the [`FakeLlm::push`] queue; `None` falls back to it.
    /// Nothing is consumed: a retry of the same request gets the same reply. Replaces
    /// any earlier responder.
    pub fn respond_with(&self, f: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static) {
        self.state.lock().responder = Some(Arc::new(f));
    }
}

/// What the OpenAI fake keeps of a stored response.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub body: Value,
    /// The calls of this response, which the next request must all answer.
    pub call_ids: Vec<String>,
    /// The calls of this response and of the responses it continues.
    pub chain_call_ids: Vec<String>,
    pub reasoning_ids: Vec<String>,
}

pub(crate) struct State {
    pub kind: FakeKind,
    pub key: String,
    /// Generation connections the client closed before the answer ended.
    pub aborted: Arc<watch::Sender<usize>>,
    /// Bytes of event-stream frames handed to the connection so far.
    pub streamed: Arc<AtomicUsize>,
    inner: Mutex<Inner>,
}

struct Inner {
    responder: Option<Responder>,
    queue: VecDeque<Reply>,
    models: Vec<String>,
    models_failure: Option<u16>,
    counters: HashMap<&'static str, u64>,
    stored: HashMap<String, Stored>,
}

impl State {
    pub fn new(kind: FakeKind, key: String, models: Vec<String>) -> State {
        State {
            kind,
            key,
            aborted: Arc::new(watch::Sender::new(0)),
            streamed: Arc::new(AtomicUsize::new(0)),
            inner: Mutex::new(Inner {
                responder: None,
                queue: VecDeque::new(),
                models,
                models_failure: None,
                counters: HashMap::new(),
                stored: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn push(&self, reply: Reply) {
        self.lock().queue.push_back(reply);
    }

    /// The responder's reply to `req`, else the next queued reply, else the default
    /// text answer.
    pub fn pop(&self, req: &Recorded) -> Reply {
        let responder = self.lock().responder.clone();
        // Called without the lock held: the responder may take its time.
        if let Some(reply) = responder.and_then(|f| f(req)) {
            return reply;
        }
        let next = self.lock().queue.pop_front();
        next.unwrap_or_else(|| Reply::text(&format!("Hello from the fake {}.", self.kind)))
    }

    /// `<prefix>_<n>`, n counting from 1 per prefix.
    pub fn next_id(&self, prefix: &'static str) -> String {
        format!("{prefix}_{}", self.next_number(prefix))
    }

    pub fn next_number(&self, prefix: &'static str) -> u64 {
        let mut inner = self.lock();
        let n = inner.counters.entry(prefix).or_insert(0);
        *n += 1;
        *n
    }

    pub fn set_models(&self, ids: Vec<String>) {
        let mut inner = self.lock();
        inner.models = ids;
        inner.models_failure = None;
    }

    pub fn fail_models(&self, status: u16) {
        self.lock().models_failure = Some(status);
    }

    /// The model list, or the status GET models must fail with.
    pub fn models(&self) -> Result<Vec<String>, u16> {
        let inner = self.lock();
        match inner.models_failure {
            Some(status) => Err(status),
            None => Ok(inner.models.clone()),
        }
    }

    pub fn store(&self, id: String, stored: Stored) {
        self.lock().stored.insert(id, stored);
    }

    pub fn stored(&self, id: &str) -> Option<Stored> {
        self.lock().stored.get(id).cloned()
    }

    /// Whether a stored response holds this reasoning item id.
    pub fn knows_reasoning(&self, id: &str) -> bool {
        self.lock()
            .stored
            .values()
            .any(|s| s.reasoning_ids.iter().any(|r| r == id))
    }
}

#[cfg(test)]
mod tests;
