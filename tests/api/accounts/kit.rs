//! A server per test on either backend, on a clock the test moves, and
//! clients that hold their own cookies (a cookie store would not send the
//! `Secure` ones over plain HTTP).

use reqwest::Method;
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestClock, spawn_app_on_with_clock, temp_db_path};
use crate::pg_database::PgDatabase;

pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$case(Backend)` as two tests, `sqlite` and `postgres`.
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test]
                async fn sqlite() {
                    super::$case($crate::accounts::kit::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$case($crate::accounts::kit::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use both_backends;

pub struct Server {
    pub app: TestApp,
    pub clock: TestClock,
    _db: Option<PgDatabase>,
}

impl Server {
    /// A server with `ADMIN_TOKEN` set and `vars`; `None` (the test then
    /// passes) only when PostgreSQL is unreachable outside CI.
    pub async fn start(backend: Backend, vars: &[(&str, &str)]) -> Option<Server> {
        let clock = TestClock::now();
        let mut all = vec![("ADMIN_TOKEN".to_string(), ADMIN_TOKEN.to_string())];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Some(match backend {
            Backend::Sqlite => {
                let path = temp_db_path();
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let mut app = spawn_app_on_with_clock(&url, &all, &clock).await;
                app.db_path = Some(path);
                Server {
                    app,
                    clock,
                    _db: None,
                }
            }
            Backend::Postgres => {
                let db = PgDatabase::create("sybil_accounts").await?;
                let app = spawn_app_on_with_clock(db.url(), &all, &clock).await;
                Server {
                    app,
                    clock,
                    _db: Some(db),
                }
            }
        })
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.app.base.clone(),
            http: reqwest::Client::new(),
            session: None,
            csrf: None,
            bearer: None,
        }
    }

    /// The service: `Authorization: Bearer <ADMIN_TOKEN>`.
    pub fn service(&self) -> Client {
        let mut c = self.client();
        c.bearer = Some(ADMIN_TOKEN.into());
        c
    }

    /// Sets up the first admin (`root`) and returns it signed in.
    pub async fn admin(&self) -> Client {
        let setup = self
            .client()
            .post(
                "/api/setup",
                json!({"username": "root", "email": "root@example.org", "password": PASSWORD}),
            )
            .await;
        assert_eq!(setup.status, 200, "{}", setup.body);
        self.signed_in("root@example.org").await
    }

    /// Creates an account through the service (roles as given) and signs it in.
    pub async fn member(&self, username: &str, roles: Value) -> Client {
        let made = self
            .service()
            .post(
                "/api/admin/users",
                json!({"username": username, "email": format!("{username}@example.org"), "password": PASSWORD, "roles": roles}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        self.signed_in(username).await
    }

    pub async fn signed_in(&self, login: &str) -> Client {
        let mut c = self.client();
        let answer = c.login(login, PASSWORD).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        c
    }
}

/// One answer: status, headers and body (JSON, or `Null`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` line.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The `Set-Cookie` line of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert_eq!(
            self.body["type"],
            format!("https://rustygpt.dev/problems/{code}")
        );
    }
}

/// A client with its own session cookie and CSRF token.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub session: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

fn cookie_value(line: &str) -> &str {
    line.split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map_or("", |(_, v)| v)
}

impl Client {
    pub async fn request(&mut self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(session) = &self.session {
            req = req.header("cookie", format!("SESSION_ID={session}"));
        }
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(bearer) = &self.bearer {
            req = req.bearer_auth(bearer);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let answer = Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: {
                let bytes = resp.bytes().await.expect("body");
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            },
        };
        self.remember(&answer);
        answer
    }

    /// Keeps the cookies an answer sets (an emptied one is dropped).
    fn remember(&mut self, answer: &Answer) {
        if let Some(line) = answer.cookie("SESSION_ID") {
            let v = cookie_value(&line);
            self.session = (!v.is_empty()).then(|| v.to_string());
        }
        if let Some(line) = answer.cookie("CSRF-TOKEN") {
            let v = cookie_value(&line);
            self.csrf = (!v.is_empty()).then(|| v.to_string());
        }
    }

    /// A GET whose answer is read as it comes (an event stream), with
    /// extra `headers`.
    pub async fn open(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(session) = &self.session {
            req = req.header("cookie", format!("SESSION_ID={session}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.request(Method::GET, path, None).await
    }

    /// A body that is not JSON (`/metrics`).
    pub async fn get_text(&self, path: &str) -> String {
        let resp = self.http.get(format!("{}{path}", self.base)).send().await;
        resp.expect("request").text().await.expect("body")
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Answer {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn post_empty(&mut self, path: &str) -> Answer {
        self.request(Method::POST, path, None).await
    }

    pub async fn put(&mut self, path: &str, body: Value) -> Answer {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&mut self, path: &str, body: Value) -> Answer {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&mut self, path: &str) -> Answer {
        self.request(Method::DELETE, path, None).await
    }

    /// The signed-in user's id, from `GET /api/auth/me`.
    pub async fn id(&mut self) -> String {
        let me = self.get("/api/auth/me").await;
        assert_eq!(me.status, 200, "{}", me.body);
        me.body["user"]["id"].as_str().expect("user id").to_string()
    }

    pub async fn login(&mut self, login: &str, password: &str) -> Answer {
        self.post(
            "/api/auth/login",
            json!({"email": login, "password": password}),
        )
        .await
    }
}
