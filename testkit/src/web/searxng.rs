//! `FakeSearxng`: SearXNG's `GET /search?format=json` (docs/decisions.md,
//! "SearXNG" and "Fake upstreams"), current and legacy shapes, JSON on or off.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use super::reply::{self, Reply, query_param};
use crate::Recorded;
use crate::server::Server;

/// Flask's 403 page: what an instance without `json` in `search.formats` answers.
const FORBIDDEN_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>403 Forbidden</title>\n\
    <h1>Forbidden</h1>\n<p>You don&#39;t have the permission to access the requested resource. \
    It is either read-protected or not readable by the server.</p>\n";

/// Which instance the fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearxngMode {
    /// A current instance with `json` enabled: answers are objects.
    Json,
    /// `json` missing from `search.formats`: 403 with an HTML page.
    JsonDisabled,
    /// An instance from before 2025: `number_of_results`, answers as strings.
    Legacy,
    /// 500 `{"error":"search error"}`.
    ServerError,
}

struct Inner {
    mode: SearxngMode,
    results: Option<Vec<Value>>,
    answers: Option<Vec<Value>>,
    unresponsive: Vec<(String, String)>,
}

struct State {
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fake SearXNG instance on 127.0.0.1:<free port>; `Json` mode at first.
pub struct FakeSearxng {
    server: Server,
    state: Arc<State>,
}

impl FakeSearxng {
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeSearxng {
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                mode: SearxngMode::Json,
                results: None,
                answers: None,
                unresponsive: Vec::new(),
            }),
        });
        let route_state = state.clone();
        let server = Server::start(reply::handler(Arc::new(move |r: &Recorded| {
            route(&route_state, r)
        })));
        FakeSearxng { server, state }
    }

    /// `http://127.0.0.1:PORT`, written like `SEARXNG_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn set_mode(&self, mode: SearxngMode) {
        self.state.lock().mode = mode;
    }

    /// Results served instead of the built-in three (sent as given).
    pub fn set_results(&self, results: Vec<Value>) {
        self.state.lock().results = Some(results);
    }

    /// Answers served instead of the mode's default (one object, or one
    /// string in `Legacy`); any JSON values, to test tolerance.
    pub fn set_answers(&self, answers: Vec<Value>) {
        self.state.lock().answers = Some(answers);
    }

    /// `unresponsive_engines` pairs `[engine, message]` of later answers.
    pub fn set_unresponsive(&self, engines: &[(&str, &str)]) {
        self.state.lock().unresponsive = engines
            .iter()
            .map(|(e, m)| ((*e).to_owned(), (*m).to_owned()))
            .collect();
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }
}

impl fmt::Debug for FakeSearxng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeSearxng")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn route(state: &State, r: &Recorded) -> Reply {
    if r.path != "/search" {
        return Reply::html(
            404,
            "<!doctype html><title>404 Not Found</title><h1>Not Found</h1>",
        );
    }
    let inner = state.lock();
    let format = query_param(r, "format").unwrap_or_default();
    let query = query_param(r, "q").unwrap_or_default();
    // Any format but json/csv/rss is served as the HTML results page.
    if format != "json" {
        return Reply::html(
            200,
            &format!("<!doctype html><title>{query} - SearXNG</title><p>results</p>"),
        );
    }
    match inner.mode {
        SearxngMode::JsonDisabled => return Reply::html(403, FORBIDDEN_PAGE),
        SearxngMode::ServerError => return Reply::json(500, &json!({"error": "search error"})),
        SearxngMode::Json | SearxngMode::Legacy => {}
    }
    if query.trim().is_empty() {
        return Reply::json(400, &json!({"error": "No query"}));
    }
    let legacy = inner.mode == SearxngMode::Legacy;
    let results = inner
        .results
        .clone()
        .unwrap_or_else(|| default_results(&query));
    let answers = inner.answers.clone().unwrap_or_else(|| {
        if legacy {
            vec![json!(format!("{query} is a fine query"))]
        } else {
            vec![
                json!({"answer": format!("{query} is a fine query"), "url": null,
                        "engine": "fake", "template": "answer/legacy.html", "parsed_url": null}),
            ]
        }
    });
    let unresponsive: Vec<Value> = inner
        .unresponsive
        .iter()
        .map(|(e, m)| json!([e, m]))
        .collect();
    let mut body = json!({
        "query": query,
        "results": results,
        "answers": answers,
        "corrections": [],
        "infoboxes": [],
        "suggestions": [format!("{query} tutorial")],
        "unresponsive_engines": unresponsive,
    });
    if legacy {
        body["number_of_results"] = json!(0);
    }
    Reply::json(200, &body)
}

/// Ranked results with the keys a real instance sends; the second has an
/// empty `content`, the third a `publishedDate`.
fn default_results(query: &str) -> Vec<Value> {
    let one = |url: &str, title: String, content: String, date: Value, score: f64| {
        json!({
            "url": url, "title": title, "content": content,
            "engine": "duckduckgo", "engines": ["duckduckgo", "brave"], "positions": [1, 2],
            "score": score, "category": "general", "template": "default.html",
            "parsed_url": ["https", "example.com", "/", "", "", ""],
            "publishedDate": date, "pubdate": "", "thumbnail": "", "img_src": "",
            "iframe_src": "", "audio_src": "", "priority": "", "author": "", "metadata": "",
        })
    };
    vec![
        one(
            "https://example.com/a",
            format!("{query} - A"),
            format!("All about {query}."),
            Value::Null,
            4.0,
        ),
        one(
            "https://example.org/b",
            format!("{query} - B"),
            String::new(),
            Value::Null,
            2.5,
        ),
        one(
            "https://example.net/c",
            format!("{query} - C"),
            format!("News on {query}."),
            json!("2024-05-01T00:00:00"),
            1.0,
        ),
    ]
}
