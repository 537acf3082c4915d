//! `FakeGithub`: GitHub's OAuth web flow token endpoint and the two REST
//! endpoints a sign-in reads (`/user`, `/user/emails`), on one base URL.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use super::server::{FormReply, FormRequest, FormServer};

const CLIENT_ID: &str = "Iv1.fakegithub0123";
const CLIENT_SECRET: &str = "fake-github-secret-0123456789abcdef";
const TOKEN_PATH: &str = "/login/oauth/access_token";
const TROUBLESHOOTING: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors";

/// A GitHub account the fake signs in for a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubUser {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    /// `(email, primary, verified)`, served by `/user/emails` in this order.
    pub emails: Vec<(String, bool, bool)>,
}

struct Inner {
    codes: HashMap<String, GithubUser>,
    tokens: HashMap<String, GithubUser>,
    redirect_uri: Option<String>,
    issued: u64,
}

struct State {
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fake GitHub on 127.0.0.1:<free port>, serving both the OAuth host's
/// paths (`GITHUB_OAUTH_BASE_URL`) and the API's (`GITHUB_API_BASE_URL`).
/// Codes are single-use, like GitHub's. Dropping it stops accepting connections.
pub struct FakeGithub {
    server: FormServer,
    state: Arc<State>,
}

impl FakeGithub {
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeGithub {
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                codes: HashMap::new(),
                tokens: HashMap::new(),
                redirect_uri: None,
                issued: 0,
            }),
        });
        let route_state = state.clone();
        let server = FormServer::start(
            Arc::new(move |r: &FormRequest| route(&route_state, r)),
            json!({"message": "Server Error"}),
        )
        .await;
        FakeGithub { server, state }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash), for both base URLs.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The only `client_id` the token endpoint accepts.
    pub fn client_id(&self) -> String {
        CLIENT_ID.to_owned()
    }

    /// The only `client_secret` the token endpoint accepts.
    pub fn client_secret(&self) -> String {
        CLIENT_SECRET.to_owned()
    }

    /// `code` (once) signs in as `user`.
    pub fn add_user(&self, code: &str, user: GithubUser) {
        self.state.lock().codes.insert(code.to_owned(), user);
    }

    /// Makes the token endpoint answer `redirect_uri_mismatch` unless the
    /// form's `redirect_uri` is this one (by default any is accepted).
    pub fn set_redirect_uri(&self, uri: &str) {
        self.state.lock().redirect_uri = Some(uri.to_owned());
    }

    /// The next token request gets `status` with a JSON `{"message"}` body
    /// (queued: one status per request).
    pub fn fail_next(&self, status: u16) {
        self.fail_next_at(TOKEN_PATH, status);
    }

    /// The next request to `path` (`/user`, `/user/emails`, the token path)
    /// gets `status`.
    pub fn fail_next_at(&self, path: &str, status: u16) {
        self.server.fail_next_at(path, status);
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<FormRequest> {
        self.server.requests()
    }

    /// The requests to the token endpoint only.
    pub fn token_requests(&self) -> Vec<FormRequest> {
        self.server.requests_to(TOKEN_PATH)
    }
}

impl fmt::Debug for FakeGithub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeGithub")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn route(state: &State, r: &FormRequest) -> FormReply {
    match (r.method.as_str(), r.path.as_str()) {
        ("POST", TOKEN_PATH) => token(state, r),
        ("GET", "/user") => api(state, r, user_body),
        ("GET", "/user/emails") => api(state, r, emails_body),
        _ => FormReply::json(
            404,
            &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
        ),
    }
}

/// GitHub answers token errors with 200 and an `error` field, in JSON only
/// when asked (`Accept: application/json`), else as a form.
fn token(state: &State, r: &FormRequest) -> FormReply {
    let wants_json = r
        .header("accept")
        .is_some_and(|a| a.contains("application/json"));
    let answer = |fields: Vec<(&str, String)>| {
        if wants_json {
            let map: serde_json::Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v)))
                .collect();
            FormReply::json(200, &Value::Object(map))
        } else {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                form.append_pair(k, v);
            }
            FormReply::form(200, form.finish())
        }
    };
    let error = |code: &str, description: &str, anchor: &str| {
        answer(vec![
            ("error", code.to_owned()),
            ("error_description", description.to_owned()),
            ("error_uri", format!("{TROUBLESHOOTING}#{anchor}")),
        ])
    };
    if r.field("client_id") != Some(CLIENT_ID) || r.field("client_secret") != Some(CLIENT_SECRET) {
        return error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
            "incorrect-client-credentials",
        );
    }
    let mut inner = state.lock();
    if let Some(expected) = &inner.redirect_uri
        && r.field("redirect_uri") != Some(expected.as_str())
    {
        return error(
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
            "redirect-uri-mismatch",
        );
    }
    let Some(user) = r.field("code").and_then(|c| inner.codes.remove(c)) else {
        return error(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
            "bad-verification-code",
        );
    };
    inner.issued += 1;
    let token = format!("gho_fake{:032}", inner.issued);
    inner.tokens.insert(token.clone(), user);
    answer(vec![
        ("access_token", token),
        ("token_type", "bearer".to_owned()),
        ("scope", "read:user,user:email".to_owned()),
    ])
}

/// The REST API: a `User-Agent` is required, then a token it issued.
fn api(state: &State, r: &FormRequest, body: fn(&GithubUser) -> Value) -> FormReply {
    if r.header("user-agent").is_none_or(str::is_empty) {
        return FormReply::json(
            403,
            &json!({"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes."}),
        );
    }
    let user = r.bearer().and_then(|t| state.lock().tokens.get(t).cloned());
    match user {
        Some(user) => FormReply::json(200, &body(&user)),
        None => FormReply::json(
            401,
            &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        ),
    }
}

fn user_body(user: &GithubUser) -> Value {
    json!({
        "login": user.login,
        "id": user.id,
        "node_id": format!("U_fake{}", user.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", user.id),
        "type": "User",
        "site_admin": false,
        "name": user.name,
        "company": null,
        "blog": "",
        "location": null,
        // The public profile email: not what a sign-in should trust.
        "email": null,
        "bio": null,
        "public_repos": 3,
        "followers": 1,
        "following": 0,
        "created_at": "2015-03-01T10:00:00Z",
        "updated_at": "2026-01-01T10:00:00Z",
    })
}

fn emails_body(user: &GithubUser) -> Value {
    Value::Array(
        user.emails
            .iter()
            .map(|(email, primary, verified)| {
                json!({
                    "email": email,
                    "primary": primary,
                    "verified": verified,
                    "visibility": if *primary { Value::from("private") } else { Value::Null },
                })
            })
            .collect(),
    )
}
