//! `FakeApple`: Sign in with Apple's `/auth/token` and `/auth/keys`, with
//! real keys: it checks the ES256 client secret a client signs with the
//! `.p8` key it handed out, and signs its RS256 `id_token`s with a key it
//! publishes as a JWKS.

mod client_secret;
mod id_token;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

pub use id_token::{AppleIdentity, EmailVerified, TokenVariant};

use super::keys::{ClientKey, SigningKey};
use super::server::{FormReply, FormRequest, FormServer};

const CLIENT_ID: &str = "com.example.sybil.web";
const TEAM_ID: &str = "FAKETEAM01";
const KEY_ID: &str = "FAKEKEY001";
const TOKEN_PATH: &str = "/auth/token";
const KEYS_PATH: &str = "/auth/keys";

struct Inner {
    base_url: String,
    /// Published in `/auth/keys`; the last one signs new tokens.
    published: Vec<Arc<SigningKey>>,
    /// Signs forged tokens; never published under its own kid.
    forger: Option<Arc<SigningKey>>,
    codes: HashMap<String, AppleIdentity>,
    now: Option<i64>,
    key_fetches: usize,
    rejections: Vec<String>,
    issued: u64,
}

struct State {
    client_key: ClientKey,
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    /// The fake's clock in Unix seconds: [`FakeApple::set_now`], else the system's.
    fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }
}

/// A fake Sign in with Apple on 127.0.0.1:<free port>. Its base URL is also
/// its issuer and the audience it wants in client secrets, as
/// `https://appleid.apple.com` is for the real one. Codes are single-use.
/// Dropping it stops accepting connections.
pub struct FakeApple {
    server: FormServer,
    state: Arc<State>,
}

impl FakeApple {
    /// Makes its keys (an RSA-2048 signing key and an EC P-256 client key)
    /// and starts serving.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeApple {
        let state = Arc::new(State {
            client_key: ClientKey::generate(),
            inner: Mutex::new(Inner {
                base_url: String::new(),
                published: vec![Arc::new(SigningKey::generate("fake-apple-key-1"))],
                forger: None,
                codes: HashMap::new(),
                now: None,
                key_fetches: 0,
                rejections: Vec::new(),
                issued: 0,
            }),
        });
        let route_state = state.clone();
        let server = FormServer::start(
            Arc::new(move |r: &FormRequest| route(&route_state, r)),
            json!({"error": "server_error"}),
        )
        .await;
        state.lock().base_url = server.base_url();
        FakeApple { server, state }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash): `APPLE_BASE_URL`, the
    /// `iss` of its id_tokens and the `aud` it wants in client secrets.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The Services ID: the only `client_id`, and the `aud` of id_tokens.
    pub fn client_id(&self) -> String {
        CLIENT_ID.to_owned()
    }

    /// The team whose key signs client secrets (their `iss`).
    pub fn team_id(&self) -> String {
        TEAM_ID.to_owned()
    }

    /// The id of the `.p8` key (the client secret's `kid`).
    pub fn key_id(&self) -> String {
        KEY_ID.to_owned()
    }

    /// The `.p8` file: an EC P-256 private key, PKCS#8 PEM.
    pub fn private_key_pem(&self) -> String {
        self.state.client_key.private_pem().to_owned()
    }

    /// [`FakeApple::private_key_pem`] in standard base64, as an env var holds it.
    pub fn private_key_b64(&self) -> String {
        STANDARD.encode(self.state.client_key.private_pem())
    }

    /// `code` (once) answers an id_token for `identity`.
    pub fn add_code(&self, code: &str, identity: AppleIdentity) {
        self.state.lock().codes.insert(code.to_owned(), identity);
    }

    /// Fixes the fake's clock (Unix seconds): the `iat`/`exp` of its tokens
    /// and the time client secrets must not have expired by. By default it
    /// is the system's; set it to the adapter's test clock.
    pub fn set_now(&self, unix_secs: i64) {
        self.state.lock().now = Some(unix_secs);
    }

    /// The kid new id_tokens are signed under.
    pub fn signing_kid(&self) -> String {
        self.state
            .lock()
            .published
            .last()
            .map(|k| k.kid.clone())
            .unwrap_or_default()
    }

    /// Publishes a new signing key (the old ones stay published, as Apple
    /// keeps several) and signs new tokens with it; returns its kid.
    pub fn rotate_keys(&self) -> String {
        let n = self.state.lock().published.len() + 1;
        let key = Arc::new(SigningKey::generate(&format!("fake-apple-key-{n}")));
        let kid = key.kid.clone();
        self.state.lock().published.push(key);
        kid
    }

    /// How many times `/auth/keys` was fetched.
    pub fn key_fetches(&self) -> usize {
        self.state.lock().key_fetches
    }

    /// Why each refused client secret was refused, in order.
    pub fn client_secret_rejections(&self) -> Vec<String> {
        self.state.lock().rejections.clone()
    }

    /// The next token request gets `status` with `{"error":"server_error"}`.
    pub fn fail_next(&self, status: u16) {
        self.fail_next_at(TOKEN_PATH, status);
    }

    /// The next request to `path` (`/auth/token`, `/auth/keys`) gets `status`.
    pub fn fail_next_at(&self, path: &str, status: u16) {
        self.server.fail_next_at(path, status);
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<FormRequest> {
        self.server.requests()
    }

    /// The requests to `/auth/token` only.
    pub fn token_requests(&self) -> Vec<FormRequest> {
        self.server.requests_to(TOKEN_PATH)
    }
}

impl fmt::Debug for FakeApple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeApple")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn route(state: &State, r: &FormRequest) -> FormReply {
    match (r.method.as_str(), r.path.as_str()) {
        ("POST", TOKEN_PATH) => token(state, r),
        ("GET", KEYS_PATH) => {
            let mut inner = state.lock();
            inner.key_fetches += 1;
            let keys: Vec<Value> = inner.published.iter().rev().map(|k| k.jwk()).collect();
            FormReply::json(200, &json!({ "keys": keys }))
        }
        _ => FormReply::json(404, &json!({"error": "not_found"})),
    }
}

fn error(error: &str) -> FormReply {
    FormReply::json(400, &json!({ "error": error }))
}

fn token(state: &State, r: &FormRequest) -> FormReply {
    let now = state.lock().now();
    let base_url = state.lock().base_url.clone();
    if r.field("client_id") != Some(CLIENT_ID) {
        state.lock().rejections.push("unknown client_id".into());
        return error("invalid_client");
    }
    let expected = client_secret::Expected {
        key_id: KEY_ID,
        team_id: TEAM_ID,
        client_id: CLIENT_ID,
        audience: &base_url,
        now,
    };
    let secret = r.field("client_secret").unwrap_or("");
    if let Err(why) = client_secret::check(&state.client_key, secret, &expected) {
        state.lock().rejections.push(why);
        return error("invalid_client");
    }
    if r.field("grant_type") != Some("authorization_code") {
        return error("unsupported_grant_type");
    }
    if r.field("redirect_uri").is_none_or(str::is_empty) {
        return error("invalid_request");
    }
    let mut inner = state.lock();
    let Some(identity) = r.field("code").and_then(|c| inner.codes.remove(c)) else {
        return FormReply::json(
            400,
            &json!({"error": "invalid_grant", "error_description": "The code has expired or has been revoked."}),
        );
    };
    inner.issued += 1;
    let serial = inner.issued;
    let signer = id_token::Signer {
        published: inner.published.last().cloned(),
        forger: &mut inner.forger,
    };
    let id_token = id_token::mint(signer, &identity, &base_url, CLIENT_ID, now);
    FormReply::json(
        200,
        &json!({
            "access_token": format!("a.fake-apple-access-{serial}"),
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": format!("r.fake-apple-refresh-{serial}"),
            "id_token": id_token,
        }),
    )
}
