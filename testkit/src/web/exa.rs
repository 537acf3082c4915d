//! `FakeExa`: Exa's `/search` and `/answer` (docs/decisions.md, "Exa" and
//! "Fake upstreams") with per-path failure modes.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

use super::exa_data;
use super::reply::{self, Reply};
use crate::Recorded;
use crate::server::{Arrival, Server};

const KEY: &str = "exa-fake-key-0123456789abcdef";
const SEARCH_TYPES: [&str; 7] = [
    "auto",
    "fast",
    "instant",
    "neural",
    "deep-lite",
    "deep",
    "deep-reasoning",
];

/// Which Exa endpoint a mode applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExaPath {
    Search,
    Answer,
}

impl ExaPath {
    pub fn path(self) -> &'static str {
        match self {
            ExaPath::Search => "/search",
            ExaPath::Answer => "/answer",
        }
    }
}

/// How the fake answers an authenticated request.
#[derive(Debug, Clone, PartialEq)]
pub enum ExaMode {
    /// The documented success body.
    Ok,
    /// The success body after `delay`.
    Slow(Duration),
    /// `status` with Exa's envelope `{"requestId","error","tag"}`.
    Fail {
        status: u16,
        tag: String,
        error: String,
    },
    /// 429 with only `{"error"}`, and `Retry-After: <secs>` when given.
    RateLimited { retry_after: Option<u64> },
    /// 200 whose body is cut-off JSON.
    Malformed,
    /// `status` with a proxy's HTML page instead of JSON.
    Html { status: u16 },
    /// 400 envelope whose `error` quotes the key the request presented.
    QuoteKey,
}

impl ExaMode {
    /// Exa's 402 `NO_MORE_CREDITS`.
    pub fn no_credits() -> ExaMode {
        ExaMode::Fail {
            status: 402,
            tag: "NO_MORE_CREDITS".into(),
            error: "You have run out of credits".into(),
        }
    }

    /// Exa's 500 `INTERNAL_ERROR`.
    pub fn internal_error() -> ExaMode {
        ExaMode::Fail {
            status: 500,
            tag: "INTERNAL_ERROR".into(),
            error: "Internal server error".into(),
        }
    }
}

struct Inner {
    sticky: HashMap<ExaPath, ExaMode>,
    queued: HashMap<ExaPath, VecDeque<ExaMode>>,
    results: Option<Vec<Value>>,
    answer: Option<Value>,
    ids: u64,
}

struct State {
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fake Exa on 127.0.0.1:<free port>. Checks `x-api-key` (or
/// `Authorization: Bearer`): a wrong key gets 401 `INVALID_API_KEY`, whose
/// message quotes nothing. Dropping it stops accepting connections.
pub struct FakeExa {
    server: Server,
    state: Arc<State>,
}

impl FakeExa {
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeExa {
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                sticky: HashMap::new(),
                queued: HashMap::new(),
                results: None,
                answer: None,
                ids: 0,
            }),
        });
        let route_state = state.clone();
        let server = Server::start(reply::handler(Arc::new(move |r: &Recorded| {
            route(&route_state, r)
        })));
        FakeExa { server, state }
    }

    /// `http://127.0.0.1:PORT`, written like `EXA_BASE_URL` (no version).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The only key the fake accepts.
    pub fn api_key(&self) -> String {
        KEY.to_owned()
    }

    /// Answer every later request to `path` this way (until changed).
    pub fn set_mode(&self, path: ExaPath, mode: ExaMode) {
        self.state.lock().sticky.insert(path, mode);
    }

    /// Answer the next request to `path` this way, before any sticky mode
    /// (queued modes are used in order, one per authenticated request).
    pub fn queue(&self, path: ExaPath, mode: ExaMode) {
        self.state
            .lock()
            .queued
            .entry(path)
            .or_default()
            .push_back(mode);
    }

    /// Full results (every field) served by `/search` instead of the
    /// built-in three; fields the request did not ask for are removed as
    /// Exa does (`score` for `auto`, contents not requested).
    pub fn set_results(&self, results: Vec<Value>) {
        self.state.lock().results = Some(results);
    }

    /// The `answer` value `/answer` returns (a string, or an object as with `outputSchema`).
    pub fn set_answer(&self, answer: Value) {
        self.state.lock().answer = Some(answer);
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// When each request arrived, in arrival order.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.server.arrivals()
    }
}

impl fmt::Debug for FakeExa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeExa")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn route(state: &State, r: &Recorded) -> Reply {
    let request_id = {
        let mut inner = state.lock();
        inner.ids += 1;
        format!("{:032x}", 0xe7a0_0000_u64 + inner.ids)
    };
    let path = match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/search") => ExaPath::Search,
        ("POST", "/answer") => ExaPath::Answer,
        _ => return envelope(404, &request_id, "NOT_FOUND", "Route not found"),
    };
    let presented = r.header("x-api-key").map(str::to_owned).or_else(|| {
        r.header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .map(str::to_owned)
    });
    if presented.as_deref() != Some(KEY) {
        return envelope(401, &request_id, "INVALID_API_KEY", "Invalid API key");
    }
    let mode = {
        let mut inner = state.lock();
        let queued = inner.queued.get_mut(&path).and_then(VecDeque::pop_front);
        queued.unwrap_or_else(|| inner.sticky.get(&path).cloned().unwrap_or(ExaMode::Ok))
    };
    match mode {
        ExaMode::Ok => success(state, path, r, &request_id),
        ExaMode::Slow(delay) => success(state, path, r, &request_id).after(delay),
        ExaMode::Fail { status, tag, error } => envelope(status, &request_id, &tag, &error),
        ExaMode::RateLimited { retry_after } => {
            let reply = Reply::json(
                429,
                &json!({"error": "You've exceeded your Exa rate limit of 10 requests per second. Please slow down."}),
            );
            match retry_after {
                Some(secs) => reply.header("retry-after", secs.to_string()),
                None => reply,
            }
        }
        ExaMode::Malformed => Reply::bytes(
            200,
            "application/json",
            r#"{"requestId":"x","results":[{"id":"#,
        ),
        ExaMode::Html { status } => Reply::html(status, &exa_data::proxy_page(status)),
        ExaMode::QuoteKey => envelope(
            400,
            &request_id,
            "INVALID_REQUEST_BODY",
            &format!(
                "Invalid request body | header x-api-key '{}' was sent where a JSON field was expected",
                presented.unwrap_or_default()
            ),
        ),
    }
}

fn envelope(status: u16, request_id: &str, tag: &str, error: &str) -> Reply {
    Reply::json(
        status,
        &json!({"requestId": request_id, "error": error, "tag": tag}),
    )
}

fn success(state: &State, path: ExaPath, r: &Recorded, request_id: &str) -> Reply {
    let Some(query) = r
        .body
        .get("query")
        .and_then(Value::as_str)
        .filter(|q| !q.trim().is_empty())
    else {
        return envelope(
            400,
            request_id,
            "INVALID_REQUEST_BODY",
            "Invalid request body | query: Required",
        );
    };
    match path {
        ExaPath::Search => search(state, r, query, request_id),
        ExaPath::Answer => answer(state, r, query, request_id),
    }
}

fn search(state: &State, r: &Recorded, query: &str, request_id: &str) -> Reply {
    let body = &r.body;
    let kind = body.get("type").and_then(Value::as_str);
    if let Some(kind) = kind
        && !SEARCH_TYPES.contains(&kind)
    {
        return envelope(
            400,
            request_id,
            "INVALID_REQUEST_BODY",
            &format!("Invalid request body | type: Invalid enum value '{kind}'"),
        );
    }
    let num = body.get("numResults").and_then(Value::as_u64).unwrap_or(10);
    if !(1..=100).contains(&num) {
        return envelope(
            400,
            request_id,
            "NUM_RESULTS_EXCEEDED",
            "numResults must be between 1 and 100",
        );
    }
    let full = state
        .lock()
        .results
        .clone()
        .unwrap_or_else(|| exa_data::results(query));
    let contents = body.get("contents").cloned().unwrap_or(Value::Null);
    let asked = |key: &str| {
        contents
            .get(key)
            .is_some_and(|v| *v != Value::Bool(false) && !v.is_null())
    };
    let auto = kind.is_none_or(|k| k == "auto");
    let results: Vec<Value> = full
        .into_iter()
        .take(usize::try_from(num).unwrap_or(usize::MAX))
        .map(|mut result| {
            if let Some(obj) = result.as_object_mut() {
                if auto {
                    // Exa no longer scores `auto` searches.
                    obj.remove("score");
                }
                if !asked("text") {
                    obj.remove("text");
                }
                if !asked("highlights") {
                    obj.remove("highlights");
                    obj.remove("highlightScores");
                }
                if !asked("summary") {
                    obj.remove("summary");
                }
            }
            result
        })
        .collect();
    Reply::json(
        200,
        &json!({
            "requestId": request_id,
            "resolvedSearchType": if auto { "neural" } else { kind.unwrap_or("auto") },
            "searchType": kind.unwrap_or("auto"),
            "results": results,
            "costDollars": {"total": 0.007, "search": {"neural": 0.005}, "contents": {"text": 0.002}},
            "searchTime": 412.5,
        }),
    )
}

fn answer(state: &State, r: &Recorded, query: &str, request_id: &str) -> Reply {
    let with_text = r.body.get("text").and_then(Value::as_bool).unwrap_or(false);
    let answer = state
        .lock()
        .answer
        .clone()
        .unwrap_or_else(|| json!(format!("The fake answer about {query}.")));
    let citations: Vec<Value> = exa_data::citations(query)
        .into_iter()
        .map(|mut c| {
            if !with_text && let Some(obj) = c.as_object_mut() {
                obj.remove("text");
            }
            c
        })
        .collect();
    Reply::json(
        200,
        &json!({
            "answer": answer,
            "requestId": request_id,
            "citations": citations,
            "costDollars": {"total": 0.005},
        }),
    )
}
