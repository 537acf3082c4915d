//! Sign-in with GitHub and Apple (§4.3) end to end, against the fakes of
//! `sybil_testkit::oauth`: the state cookie, the browser callbacks (GET,
//! and Apple's form POST) ending in a 303, the manual exchange, account
//! resolution (by subject, by verified email, or a new member) and every
//! refusal of the contract.

use std::collections::{BTreeSet, HashMap};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Url};
use serde_json::{Value, json};
use sybil_ports::outbound::Clock;
use sybil_testkit::oauth::{
    AppleIdentity, EmailVerified, FakeApple, FakeGithub, GithubUser, TokenVariant, jwt_claims,
    jwt_header,
};

use super::kit::{Answer, Backend, Client, PASSWORD, Server, both_backends};

const SUCCESS_URL: &str = "https://app.example.org/done";
const GITHUB_REDIRECT: &str = "https://app.example.org/api/oauth/github/callback";
const APPLE_REDIRECT: &str = "https://app.example.org/api/oauth/apple/callback";
const FORM: &str = "application/x-www-form-urlencoded";

both_backends!(
    unconfigured_providers_answer_503_on_every_route,
    an_unknown_provider_is_not_found,
    github_start_gives_the_authorize_url_and_the_state_cookie,
    github_browser_sign_in_makes_a_member_with_a_working_session,
    github_second_sign_in_reuses_the_account,
    github_links_an_existing_account_by_verified_email,
    a_forged_or_missing_state_is_refused,
    a_state_is_used_once_whatever_follows,
    a_state_expires_after_ten_minutes,
    github_missing_code_or_provider_error_is_invalid_code,
    github_rejected_code_is_invalid_code,
    github_provider_failures_are_502_and_never_show_the_secret,
    github_without_a_verified_email_is_refused,
    github_before_setup_is_forbidden,
    github_usernames_avoid_taken_ones,
    github_disabled_account_is_locked,
    github_manual_exchange,
    apple_form_post_sign_in,
    apple_get_callback_works,
    apple_email_verified_may_be_a_string,
    apple_expired_id_token_is_refused_after_the_leeway,
    apple_badly_made_id_tokens_are_refused,
    apple_rejected_code_and_provider_failures,
    apple_account_linked_to_another_subject_conflicts,
    apple_callback_post_needs_a_form,
    apple_refetches_keys_for_a_new_kid,
    secure_state_cookies_cross_sites_only_for_apple,
);

// ---------------------------------------------------------------- the rig

/// A server configured for both providers, each pointed at its fake.
struct Rig {
    server: Server,
    github: FakeGithub,
    apple: FakeApple,
    /// Follows no redirects and keeps no cookies: the test sends them.
    http: reqwest::Client,
}

impl Rig {
    /// `SESSION_COOKIE_SECURE=false` and `OAUTH_SUCCESS_URL` unless `extra`
    /// says otherwise (later variables win).
    async fn start(backend: Backend, extra: &[(&str, &str)]) -> Option<Rig> {
        let github = FakeGithub::start().await;
        let apple = FakeApple::start().await;
        let mut vars: Vec<(String, String)> = vec![
            ("GITHUB_CLIENT_ID".into(), github.client_id()),
            ("GITHUB_CLIENT_SECRET".into(), github.client_secret()),
            ("GITHUB_REDIRECT_URI".into(), GITHUB_REDIRECT.into()),
            ("GITHUB_OAUTH_BASE_URL".into(), github.base_url()),
            ("GITHUB_API_BASE_URL".into(), github.base_url()),
            ("APPLE_CLIENT_ID".into(), apple.client_id()),
            ("APPLE_TEAM_ID".into(), apple.team_id()),
            ("APPLE_KEY_ID".into(), apple.key_id()),
            ("APPLE_REDIRECT_URI".into(), APPLE_REDIRECT.into()),
            ("APPLE_PRIVATE_KEY_B64".into(), apple.private_key_b64()),
            ("APPLE_BASE_URL".into(), apple.base_url()),
            ("OAUTH_SUCCESS_URL".into(), SUCCESS_URL.into()),
            ("SESSION_COOKIE_SECURE".into(), "false".into()),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = Server::start(backend, &refs).await?;
        let rig = Rig {
            server,
            github,
            apple,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        };
        rig.follow_clock();
        Some(rig)
    }

    /// A rig whose setup is done (`root@example.org` exists).
    async fn ready(backend: Backend) -> Option<Rig> {
        let rig = Rig::start(backend, &[]).await?;
        rig.server.admin().await;
        Some(rig)
    }

    /// Keeps the fake Apple on the server's clock.
    fn follow_clock(&self) {
        self.apple
            .set_now(self.server.clock.now().millis().div_euclid(1000));
    }

    fn server_now_secs(&self) -> i64 {
        self.server.clock.now().millis().div_euclid(1000)
    }

    /// Moves the server's clock (and the fake Apple's with it).
    fn advance_ms(&self, ms: i64) {
        self.server.clock.advance_ms(ms);
        self.follow_clock();
    }

    /// One request with an optional `OAUTH_STATE` cookie and body; checks
    /// that no secret of the configuration shows in the answer.
    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        state_cookie: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.server.app.base));
        if let Some(state) = state_cookie {
            req = req.header("cookie", format!("OAUTH_STATE={state}"));
        }
        if let Some((content_type, body)) = body {
            req = req.header(CONTENT_TYPE, content_type).body(body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let text = String::from_utf8_lossy(&bytes);
        for secret in [self.github.client_secret(), self.apple.private_key_b64()] {
            assert!(
                !text.contains(&secret),
                "{path_and_query}: the body shows a secret: {text}"
            );
            for (name, value) in &headers {
                assert!(
                    !String::from_utf8_lossy(value.as_bytes()).contains(&secret),
                    "{path_and_query}: header {name} shows a secret"
                );
            }
        }
        assert!(!text.contains("PRIVATE KEY"), "{path_and_query}: {text}");
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// `GET /api/oauth/{provider}`: the answer and the state, after
    /// checking that the cookie holds the state of `auth_url`.
    async fn start_flow(&self, provider: &str) -> (Answer, String) {
        let answer = self
            .send(Method::GET, &format!("/api/oauth/{provider}"), None, None)
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let auth_url = answer.body["auth_url"].as_str().expect("auth_url");
        let state = query_of(auth_url)
            .remove("state")
            .expect("a state in auth_url");
        let cookie = answer.cookie("OAUTH_STATE").expect("the state cookie");
        assert_eq!(cookie_value(&cookie), state, "{cookie}");
        assert_eq!(state.len(), 43, "32 bytes in base64url: {state}");
        assert!(
            state
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{state}"
        );
        (answer, state)
    }

    /// `GET /api/oauth/{provider}/callback?…` with the state cookie.
    async fn callback_get(
        &self,
        provider: &str,
        query: &[(&str, &str)],
        state_cookie: Option<&str>,
    ) -> Answer {
        let path = format!("/api/oauth/{provider}/callback?{}", encode(query));
        self.send(Method::GET, &path, state_cookie, None).await
    }

    /// Apple's form POST back with the state cookie.
    async fn callback_post(&self, form: &[(&str, &str)], state_cookie: Option<&str>) -> Answer {
        self.send(
            Method::POST,
            "/api/oauth/apple/callback",
            state_cookie,
            Some((FORM, encode(form))),
        )
        .await
    }

    /// A whole GitHub browser sign-in with `code`.
    async fn github_browser(&self, code: &str) -> Answer {
        let (_, state) = self.start_flow("github").await;
        self.callback_get("github", &[("code", code), ("state", &state)], Some(&state))
            .await
    }

    /// A whole Apple browser sign-in by form POST with `code` (and `user`).
    async fn apple_browser(&self, code: &str, user: Option<&str>) -> Answer {
        let (_, state) = self.start_flow("apple").await;
        let mut form = vec![("code", code), ("state", state.as_str())];
        if let Some(user) = user {
            form.push(("user", user));
        }
        self.callback_post(&form, Some(&state)).await
    }

    /// Checks a successful browser return and gives a client holding its
    /// session.
    #[track_caller]
    fn signed_in(&self, answer: &Answer) -> Client {
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.header("location"), Some(SUCCESS_URL));
        assert_state_cleared(answer);
        let session = answer.cookie("SESSION_ID").expect("SESSION_ID cookie");
        let csrf = answer.cookie("CSRF-TOKEN").expect("CSRF-TOKEN cookie");
        assert!(!cookie_value(&session).is_empty(), "{session}");
        assert!(!cookie_value(&csrf).is_empty(), "{csrf}");
        assert!(attrs(&session).contains("HttpOnly"), "{session}");
        let mut client = self.server.client();
        client.session = Some(cookie_value(&session).to_string());
        client.csrf = Some(cookie_value(&csrf).to_string());
        client
    }

    /// `GET /api/auth/me` of a signed-in client: its user.
    async fn me(&self, client: &mut Client) -> Value {
        let me = client.get("/api/auth/me").await;
        assert_eq!(me.status, 200, "{}", me.body);
        me.body["user"].clone()
    }

    /// A browser GitHub sign-in that must succeed; the user it signed in.
    async fn github_user(&self, code: &str, user: GithubUser) -> Value {
        self.github.add_user(code, user);
        let answer = self.github_browser(code).await;
        let mut client = self.signed_in(&answer);
        self.me(&mut client).await
    }

    /// A browser Apple sign-in that must succeed; the user it signed in.
    async fn apple_user(&self, code: &str, who: AppleIdentity, user: Option<&str>) -> Value {
        self.apple.add_code(code, who);
        let answer = self.apple_browser(code, user).await;
        let mut client = self.signed_in(&answer);
        self.me(&mut client).await
    }

    /// The id of the account called `username`, through the service.
    async fn user_id(&self, login: &str) -> String {
        let mut client = self.server.signed_in(login).await;
        self.me(&mut client).await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn github_user(id: u64, login: &str, name: Option<&str>, email: &str) -> GithubUser {
    GithubUser {
        id,
        login: login.into(),
        name: name.map(str::to_string),
        emails: vec![(email.into(), true, true)],
    }
}

/// `k=v&…`, form-encoded.
fn encode(pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://x/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or("").to_string()
}

fn query_of(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn cookie_value(line: &str) -> &str {
    line.split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map_or("", |(_, v)| v)
}

/// A `Set-Cookie` line's attributes (everything after `name=value`).
fn attrs(line: &str) -> BTreeSet<String> {
    line.split(';')
        .skip(1)
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The answer clears `OAUTH_STATE`.
#[track_caller]
fn assert_state_cleared(answer: &Answer) {
    let line = answer
        .cookie("OAUTH_STATE")
        .unwrap_or_else(|| panic!("no OAUTH_STATE clearing cookie: {:?}", answer.cookies()));
    assert_eq!(cookie_value(&line), "", "{line}");
    let attrs = attrs(&line);
    assert!(attrs.contains("Max-Age=0"), "{line}");
    assert!(attrs.contains("Path=/api/oauth"), "{line}");
}

/// A refused browser return: the problem, and the state cookie cleared.
#[track_caller]
fn assert_refused(answer: &Answer, status: u16, code: &str) {
    answer.assert_problem(status, code);
    assert_state_cleared(answer);
    assert!(
        answer.cookie("SESSION_ID").is_none(),
        "{:?}",
        answer.cookies()
    );
}

// ---------------------------------------------------------------- configuration

async fn unconfigured_providers_answer_503_on_every_route(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut anon = server.client();
    let github_missing = json!([
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "GITHUB_REDIRECT_URI"
    ]);
    let apple_missing = json!([
        "APPLE_CLIENT_ID",
        "APPLE_TEAM_ID",
        "APPLE_KEY_ID",
        "APPLE_REDIRECT_URI",
        "APPLE_PRIVATE_KEY_PATH or APPLE_PRIVATE_KEY_B64"
    ]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (provider, missing) in [("github", &github_missing), ("apple", &apple_missing)] {
        let mut answers = vec![
            ("start", anon.get(&format!("/api/oauth/{provider}")).await),
            (
                "callback",
                anon.get(&format!("/api/oauth/{provider}/callback?code=c&state=s"))
                    .await,
            ),
            (
                "manual",
                anon.post(
                    &format!("/api/oauth/{provider}/manual"),
                    json!({"code": "c", "state": "s"}),
                )
                .await,
            ),
        ];
        if provider == "apple" {
            let resp = http
                .post(format!("{}/api/oauth/apple/callback", server.app.base))
                .header("cookie", "OAUTH_STATE=s")
                .header(CONTENT_TYPE, FORM)
                .body("code=c&state=s")
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.json().await.unwrap_or(Value::Null);
            answers.push((
                "form callback",
                Answer {
                    status,
                    headers,
                    body,
                },
            ));
        }
        for (route, answer) in answers {
            answer.assert_problem(503, "RGP.OAUTH.NOT_CONFIGURED");
            assert_eq!(
                &answer.body["details"]["missing"], missing,
                "{provider} {route}: {}",
                answer.body
            );
            let message = answer.body["message"].as_str().unwrap();
            for name in missing.as_array().unwrap() {
                assert!(
                    message.contains(name.as_str().unwrap()),
                    "{provider} {route}: {message}"
                );
            }
            if provider == "github" {
                assert_eq!(
                    message,
                    "GitHub sign-in is not configured: set GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_REDIRECT_URI",
                    "{route}"
                );
            }
            assert!(
                answer
                    .cookie("OAUTH_STATE")
                    .is_none_or(|c| cookie_value(&c).is_empty())
            );
        }
    }
    drop(server);

    // Partly configured: only what is missing is named.
    let key = FakeApple::start().await.private_key_b64();
    let Some(server) = Server::start(
        backend,
        &[("GITHUB_CLIENT_ID", "id"), ("APPLE_PRIVATE_KEY_B64", &key)],
    )
    .await
    else {
        return;
    };
    let answer = server.client().get("/api/oauth/github").await;
    answer.assert_problem(503, "RGP.OAUTH.NOT_CONFIGURED");
    assert_eq!(
        answer.body["details"]["missing"],
        json!(["GITHUB_CLIENT_SECRET", "GITHUB_REDIRECT_URI"])
    );
    assert_eq!(
        answer.body["message"],
        "GitHub sign-in is not configured: set GITHUB_CLIENT_SECRET, GITHUB_REDIRECT_URI"
    );
    let answer = server.client().get("/api/oauth/apple").await;
    answer.assert_problem(503, "RGP.OAUTH.NOT_CONFIGURED");
    assert_eq!(
        answer.body["details"]["missing"],
        json!([
            "APPLE_CLIENT_ID",
            "APPLE_TEAM_ID",
            "APPLE_KEY_ID",
            "APPLE_REDIRECT_URI"
        ])
    );
}

async fn an_unknown_provider_is_not_found(backend: Backend) {
    let Some(rig) = Rig::start(backend, &[]).await else {
        return;
    };
    for (method, path) in [
        (Method::GET, "/api/oauth/gitlab"),
        (Method::GET, "/api/oauth/gitlab/callback?code=c&state=s"),
    ] {
        rig.send(method, path, None, None)
            .await
            .assert_problem(404, "RGP.NOT_FOUND");
    }
    rig.send(
        Method::POST,
        "/api/oauth/gitlab/manual",
        None,
        Some(("application/json", json!({"code": "c"}).to_string())),
    )
    .await
    .assert_problem(404, "RGP.NOT_FOUND");
}

// ---------------------------------------------------------------- GitHub

async fn github_start_gives_the_authorize_url_and_the_state_cookie(backend: Backend) {
    let Some(rig) = Rig::start(backend, &[]).await else {
        return;
    };
    let (answer, state) = rig.start_flow("github").await;
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let auth_url = answer.body["auth_url"].as_str().unwrap();
    assert!(
        auth_url.starts_with(&format!("{}/login/oauth/authorize?", rig.github.base_url())),
        "{auth_url}"
    );
    let query = query_of(auth_url);
    assert_eq!(query["client_id"], rig.github.client_id());
    assert_eq!(query["redirect_uri"], GITHUB_REDIRECT);
    assert_eq!(query["scope"], "read:user user:email");
    assert_eq!(query["state"], state);
    assert!(!auth_url.contains(&rig.github.client_secret()));

    let cookie = answer.cookie("OAUTH_STATE").unwrap();
    assert_eq!(
        attrs(&cookie),
        set(&["Path=/api/oauth", "HttpOnly", "SameSite=Lax", "Max-Age=600"]),
        "{cookie}"
    );

    // Each start makes a new state.
    let (_, again) = rig.start_flow("github").await;
    assert_ne!(again, state);
}

async fn github_browser_sign_in_makes_a_member_with_a_working_session(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.github.add_user(
        "code-1",
        GithubUser {
            id: 4242,
            login: "octo-cat".into(),
            name: Some("Octo Cat".into()),
            emails: vec![
                ("old@example.com".into(), false, true),
                ("octo@example.com".into(), true, true),
            ],
        },
    );
    let answer = rig.github_browser("code-1").await;
    let mut client = rig.signed_in(&answer);
    assert!(
        answer.body.is_null() || answer.body == json!(""),
        "{}",
        answer.body
    );
    let session = answer.cookie("SESSION_ID").unwrap();
    assert!(!attrs(&session).contains("Secure"), "{session}");

    let user = rig.me(&mut client).await;
    assert_eq!(user["username"], "octo-cat");
    assert_eq!(user["display_name"], "Octo Cat");
    assert_eq!(user["email"], "octo@example.com");
    assert_eq!(user["roles"], json!(["member"]));
    assert!(user["id"].as_str().is_some_and(|id| id.len() == 36));

    // The session is a real one: a CSRF-checked route works with it.
    let logout = client.post_empty("/api/auth/logout").await;
    assert_eq!(logout.status, 200, "{}", logout.body);

    // What GitHub was asked.
    let token = rig.github.token_requests();
    assert_eq!(token.len(), 1, "{token:?}");
    let token = &token[0];
    assert!(
        token
            .header("accept")
            .is_some_and(|a| a.contains("application/json")),
        "{token:?}"
    );
    assert_eq!(
        token.field("client_id"),
        Some(rig.github.client_id().as_str())
    );
    assert_eq!(
        token.field("client_secret"),
        Some(rig.github.client_secret().as_str())
    );
    assert_eq!(token.field("code"), Some("code-1"));
    assert_eq!(token.field("redirect_uri"), Some(GITHUB_REDIRECT));
    let api: Vec<_> = rig
        .github
        .requests()
        .into_iter()
        .filter(|r| r.path != "/login/oauth/access_token")
        .collect();
    assert!(api.iter().any(|r| r.path == "/user"), "{api:?}");
    assert!(api.iter().any(|r| r.path == "/user/emails"), "{api:?}");
    for r in &api {
        assert!(r.bearer().is_some_and(|t| t.starts_with("gho_")), "{r:?}");
    }

    // An account made by OAuth has no password.
    let mut anon = rig.server.client();
    anon.login("octo-cat", PASSWORD)
        .await
        .assert_problem(401, "RGP.AUTH.INVALID_CREDENTIALS");
    anon.login("octo@example.com", "")
        .await
        .assert_problem(422, "invalid_request");
}

async fn github_second_sign_in_reuses_the_account(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    let first = rig
        .github_user(
            "c1",
            github_user(77, "mona", Some("Mona"), "mona@example.com"),
        )
        .await;
    // The same subject, with another login, name and no verified email at
    // all: found by subject, nothing else is needed.
    let second = rig
        .github_user(
            "c2",
            GithubUser {
                id: 77,
                login: "mona-renamed".into(),
                name: None,
                emails: vec![("other@example.com".into(), true, false)],
            },
        )
        .await;
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["username"], "mona");
    assert_eq!(second["email"], "mona@example.com");

    // Another subject with another email is another account.
    let other = rig
        .github_user("c3", github_user(78, "lisa", None, "lisa@example.com"))
        .await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(other["username"], "lisa");
    assert!(other.get("display_name").is_none(), "{other}");
}

async fn github_links_an_existing_account_by_verified_email(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.server.member("alice", json!(["member"])).await;
    let alice = rig.user_id("alice").await;

    let user = rig
        .github_user(
            "c1",
            GithubUser {
                id: 1001,
                login: "alice-gh".into(),
                name: Some("Alice on GitHub".into()),
                emails: vec![
                    ("alice@unverified.example".into(), false, false),
                    ("Alice@Example.ORG".into(), true, true),
                ],
            },
        )
        .await;
    assert_eq!(user["id"], alice.as_str());
    assert_eq!(user["username"], "alice", "the account keeps its name");
    assert_eq!(user["email"], "alice@example.org");

    // Linked now: found by subject even when GitHub's email changes.
    let again = rig
        .github_user(
            "c2",
            github_user(1001, "alice-gh", None, "new-alice@example.com"),
        )
        .await;
    assert_eq!(again["id"], alice.as_str());
    // The password still works.
    rig.server.signed_in("alice").await;

    // A second GitHub subject with alice's email: she is linked to another.
    rig.github.add_user(
        "c3",
        github_user(1002, "alice-2nd", None, "ALICE@example.org"),
    );
    assert_refused(&rig.github_browser("c3").await, 409, "RGP.CONFLICT");

    // A verified email that is not primary is not used to link.
    rig.server.member("bob", json!(["member"])).await;
    rig.github.add_user(
        "c4",
        GithubUser {
            id: 1003,
            login: "bob-gh".into(),
            name: None,
            emails: vec![
                ("bob-primary@unverified.example".into(), true, false),
                ("bob@example.org".into(), false, true),
            ],
        },
    );
    assert_refused(
        &rig.github_browser("c4").await,
        403,
        "RGP.OAUTH.EMAIL_REQUIRED",
    );
}

async fn a_forged_or_missing_state_is_refused(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.github
        .add_user("c1", github_user(5, "eve", None, "eve@example.com"));
    let (_, state) = rig.start_flow("github").await;
    let forged = "A".repeat(43);

    // The query's state is not the cookie's.
    let answer = rig
        .callback_get(
            "github",
            &[("code", "c1"), ("state", &forged)],
            Some(&state),
        )
        .await;
    assert_refused(&answer, 400, "RGP.OAUTH.INVALID_STATE");
    // The cookie is not the query's.
    let (_, state) = rig.start_flow("github").await;
    let answer = rig
        .callback_get(
            "github",
            &[("code", "c1"), ("state", &state)],
            Some(&forged),
        )
        .await;
    assert_refused(&answer, 400, "RGP.OAUTH.INVALID_STATE");
    // No cookie at all.
    let (_, state) = rig.start_flow("github").await;
    let answer = rig
        .callback_get("github", &[("code", "c1"), ("state", &state)], None)
        .await;
    assert_refused(&answer, 400, "RGP.OAUTH.INVALID_STATE");
    // Both agree on a state the server never made.
    let answer = rig
        .callback_get(
            "github",
            &[("code", "c1"), ("state", &forged)],
            Some(&forged),
        )
        .await;
    assert_refused(&answer, 400, "RGP.OAUTH.INVALID_STATE");
    // No state in the query.
    let (_, state) = rig.start_flow("github").await;
    let answer = rig
        .callback_get("github", &[("code", "c1")], Some(&state))
        .await;
    assert_refused(&answer, 400, "RGP.OAUTH.INVALID_STATE");
    // Apple's state is not GitHub's.
    let (_, apple_state) = rig.start_flow("apple").await;
    let answer = rig
        .callback_get(
            "github",
            &[("code", "c1"), ("state", &apple_state)],
            Some(&apple_state),
        )
        .await;
    assert_refused(&answer, 400, "RGP.OAUTH.INVALID_STATE");

    // The state is checked before the code is spent: it still signs in.
    assert!(rig.github.token_requests().is_empty());
    rig.signed_in(&rig.github_browser("c1").await);
}

async fn a_state_is_used_once_whatever_follows(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.github
        .add_user("c1", github_user(6, "once", None, "once@example.com"));
    rig.github
        .add_user("c2", github_user(6, "once", None, "once@example.com"));
    let (_, state) = rig.start_flow("github").await;
    let first = rig
        .callback_get("github", &[("code", "c1"), ("state", &state)], Some(&state))
        .await;
    rig.signed_in(&first);
    let second = rig
        .callback_get("github", &[("code", "c2"), ("state", &state)], Some(&state))
        .await;
    assert_refused(&second, 400, "RGP.OAUTH.INVALID_STATE");

    // A state whose return failed is spent too.
    let (_, state) = rig.start_flow("github").await;
    let failed = rig
        .callback_get(
            "github",
            &[("code", "no-such-code"), ("state", &state)],
            Some(&state),
        )
        .await;
    assert_refused(&failed, 400, "RGP.OAUTH.INVALID_CODE");
    let retried = rig
        .callback_get("github", &[("code", "c2"), ("state", &state)], Some(&state))
        .await;
    assert_refused(&retried, 400, "RGP.OAUTH.INVALID_STATE");

    // …and one spent by the manual route cannot be used by a browser.
    let (_, state) = rig.start_flow("github").await;
    let mut app = rig.server.client();
    let manual = app
        .post(
            "/api/oauth/github/manual",
            json!({"code": "c2", "state": state}),
        )
        .await;
    assert_eq!(manual.status, 200, "{}", manual.body);
    rig.github
        .add_user("c3", github_user(6, "once", None, "once@example.com"));
    let browser = rig
        .callback_get("github", &[("code", "c3"), ("state", &state)], Some(&state))
        .await;
    assert_refused(&browser, 400, "RGP.OAUTH.INVALID_STATE");
}

async fn a_state_expires_after_ten_minutes(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.github
        .add_user("c1", github_user(7, "slow", None, "slow@example.com"));
    let (_, state) = rig.start_flow("github").await;
    rig.advance_ms(11 * 60 * 1000);
    let late = rig
        .callback_get("github", &[("code", "c1"), ("state", &state)], Some(&state))
        .await;
    assert_refused(&late, 400, "RGP.OAUTH.INVALID_STATE");

    // Nine minutes is still in time, by the browser and by the manual route.
    let (_, state) = rig.start_flow("github").await;
    rig.advance_ms(9 * 60 * 1000);
    rig.signed_in(
        &rig.callback_get("github", &[("code", "c1"), ("state", &state)], Some(&state))
            .await,
    );
    let (_, state) = rig.start_flow("github").await;
    rig.advance_ms(11 * 60 * 1000);
    rig.github
        .add_user("c2", github_user(7, "slow", None, "slow@example.com"));
    rig.server
        .client()
        .post(
            "/api/oauth/github/manual",
            json!({"code": "c2", "state": state}),
        )
        .await
        .assert_problem(400, "RGP.OAUTH.INVALID_STATE");
}

async fn github_missing_code_or_provider_error_is_invalid_code(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    let (_, state) = rig.start_flow("github").await;
    let denied = rig
        .callback_get(
            "github",
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "The user has denied your application access.",
                ),
                ("state", &state),
            ],
            Some(&state),
        )
        .await;
    assert_refused(&denied, 400, "RGP.OAUTH.INVALID_CODE");
    assert_eq!(denied.body["details"]["provider_error"], "access_denied");

    let (_, state) = rig.start_flow("github").await;
    let no_code = rig
        .callback_get("github", &[("state", &state)], Some(&state))
        .await;
    assert_refused(&no_code, 400, "RGP.OAUTH.INVALID_CODE");
    assert!(
        no_code.body["details"].get("provider_error").is_none(),
        "{}",
        no_code.body
    );

    // An error wins over a code.
    rig.github
        .add_user("c1", github_user(8, "deny", None, "deny@example.com"));
    let (_, state) = rig.start_flow("github").await;
    let both = rig
        .callback_get(
            "github",
            &[
                ("code", "c1"),
                ("error", "access_denied"),
                ("state", &state),
            ],
            Some(&state),
        )
        .await;
    assert_refused(&both, 400, "RGP.OAUTH.INVALID_CODE");
    assert_eq!(both.body["details"]["provider_error"], "access_denied");
    assert!(rig.github.token_requests().is_empty());
}

async fn github_rejected_code_is_invalid_code(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    // An unknown code: GitHub says `bad_verification_code` with a 200.
    assert_refused(
        &rig.github_browser("never-issued").await,
        400,
        "RGP.OAUTH.INVALID_CODE",
    );
    // A code used already.
    rig.github
        .add_user("c1", github_user(9, "twice", None, "twice@example.com"));
    rig.signed_in(&rig.github_browser("c1").await);
    assert_refused(
        &rig.github_browser("c1").await,
        400,
        "RGP.OAUTH.INVALID_CODE",
    );
    // A redirect URI GitHub does not know.
    rig.github.set_redirect_uri("https://elsewhere.example/cb");
    rig.github
        .add_user("c2", github_user(10, "moved", None, "moved@example.com"));
    assert_refused(
        &rig.github_browser("c2").await,
        400,
        "RGP.OAUTH.INVALID_CODE",
    );
    // The manual route says the same.
    rig.server
        .client()
        .post("/api/oauth/github/manual", json!({"code": "never-issued"}))
        .await
        .assert_problem(400, "RGP.OAUTH.INVALID_CODE");
}

async fn github_provider_failures_are_502_and_never_show_the_secret(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    let add = |code: &str, id: u64| {
        rig.github.add_user(
            code,
            github_user(id, &format!("u{id}"), None, &format!("u{id}@example.com")),
        );
    };
    // The token endpoint fails (500, and a 401 that is not a rejected code).
    for (code, status) in [("c1", 500), ("c2", 401), ("c3", 503)] {
        add(code, 11);
        rig.github.fail_next(status);
        let answer = rig.github_browser(code).await;
        assert_refused(&answer, 502, "RGP.OAUTH.PROVIDER_ERROR");
    }
    // The API fails.
    for (code, path) in [("c4", "/user"), ("c5", "/user/emails")] {
        add(code, 12);
        rig.github.fail_next_at(path, 500);
        let answer = rig.github_browser(code).await;
        assert_refused(&answer, 502, "RGP.OAUTH.PROVIDER_ERROR");
    }
    // The manual route too.
    add("c6", 13);
    rig.github.fail_next(500);
    rig.server
        .client()
        .post("/api/oauth/github/manual", json!({"code": "c6"}))
        .await
        .assert_problem(502, "RGP.OAUTH.PROVIDER_ERROR");
    // None of this made an account.
    let list = rig.server.service().get("/api/admin/users").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.body["users"].as_array().unwrap().len(),
        1,
        "{}",
        list.body
    );
    assert!(!list.body.to_string().contains(&rig.github.client_secret()));
    drop(rig);

    // An API nobody answers.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let Some(rig) = Rig::start(backend, &[("GITHUB_API_BASE_URL", &dead)]).await else {
        return;
    };
    rig.server.admin().await;
    rig.github
        .add_user("c1", github_user(14, "far", None, "far@example.com"));
    assert_refused(
        &rig.github_browser("c1").await,
        502,
        "RGP.OAUTH.PROVIDER_ERROR",
    );
    // A token host nobody answers.
    let Some(rig) = Rig::start(
        backend,
        &[("GITHUB_OAUTH_BASE_URL", &format!("{dead}/nothing"))],
    )
    .await
    else {
        return;
    };
    rig.server.admin().await;
    assert_refused(
        &rig.github_browser("c1").await,
        502,
        "RGP.OAUTH.PROVIDER_ERROR",
    );
}

async fn github_without_a_verified_email_is_refused(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    for (code, emails) in [
        ("c1", vec![]),
        ("c2", vec![("nv@example.com".to_string(), true, false)]),
        (
            "c3",
            vec![
                ("primary@example.com".to_string(), true, false),
                ("verified@example.com".to_string(), false, true),
            ],
        ),
    ] {
        rig.github.add_user(
            code,
            GithubUser {
                id: 20,
                login: "ghost".into(),
                name: Some("Ghost".into()),
                emails,
            },
        );
        let answer = rig.github_browser(code).await;
        assert_refused(&answer, 403, "RGP.OAUTH.EMAIL_REQUIRED");
    }
    let list = rig.server.service().get("/api/admin/users").await;
    assert_eq!(
        list.body["users"].as_array().unwrap().len(),
        1,
        "{}",
        list.body
    );
}

async fn github_before_setup_is_forbidden(backend: Backend) {
    let Some(rig) = Rig::start(backend, &[]).await else {
        return;
    };
    rig.github
        .add_user("c1", github_user(30, "early", None, "early@example.com"));
    let answer = rig.github_browser("c1").await;
    assert_refused(&answer, 403, "RGP.RBAC.FORBIDDEN");
    assert_eq!(answer.body["message"], "setup has not been completed");
    rig.github
        .add_user("c2", github_user(30, "early", None, "early@example.com"));
    rig.server
        .client()
        .post("/api/oauth/github/manual", json!({"code": "c2"}))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    let setup = rig.server.client().get("/api/setup").await;
    assert_eq!(setup.body, json!({"is_setup": false}));
    // Setup is still open, and afterwards the same identity signs in.
    rig.server.admin().await;
    rig.github
        .add_user("c3", github_user(30, "early", None, "early@example.com"));
    rig.signed_in(&rig.github_browser("c3").await);
}

async fn github_usernames_avoid_taken_ones(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.server.member("octocat", json!(["member"])).await;
    let second = rig
        .github_user("c1", github_user(40, "OctoCat", None, "oc2@example.com"))
        .await;
    assert_eq!(second["username"], "OctoCat-2");
    let third = rig
        .github_user("c2", github_user(41, "octocat", None, "oc3@example.com"))
        .await;
    assert_eq!(third["username"], "octocat-3");

    // Nothing allowed left: `user`, then `user-2`.
    let first = rig
        .github_user("c3", github_user(42, "ÄÖÜ", None, "u1@example.com"))
        .await;
    assert_eq!(first["username"], "user");
    let next = rig
        .github_user("c4", github_user(43, "ß", None, "u2@example.com"))
        .await;
    assert_eq!(next["username"], "user-2");

    // Too long: cut to 64, and cut further to fit a suffix.
    let long = "a".repeat(70);
    let one = rig
        .github_user("c5", github_user(44, &long, None, "l1@example.com"))
        .await;
    assert_eq!(one["username"], "a".repeat(64));
    let two = rig
        .github_user("c6", github_user(45, &long, None, "l2@example.com"))
        .await;
    assert_eq!(two["username"], format!("{}-2", "a".repeat(62)));
}

async fn github_disabled_account_is_locked(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    let user = rig
        .github_user("c1", github_user(50, "gone", None, "gone@example.com"))
        .await;
    let id = user["id"].as_str().unwrap();
    let patched = rig
        .server
        .service()
        .patch(&format!("/api/admin/users/{id}"), json!({"disabled": true}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    rig.github
        .add_user("c2", github_user(50, "gone", None, "gone@example.com"));
    assert_refused(&rig.github_browser("c2").await, 423, "RGP.AUTH.DISABLED");

    // A disabled password account found by its email is locked too.
    rig.server.member("carol", json!(["member"])).await;
    let carol = rig.user_id("carol").await;
    rig.server
        .service()
        .patch(
            &format!("/api/admin/users/{carol}"),
            json!({"disabled": true}),
        )
        .await;
    rig.github
        .add_user("c3", github_user(51, "carol", None, "carol@example.org"));
    rig.server
        .client()
        .post("/api/oauth/github/manual", json!({"code": "c3"}))
        .await
        .assert_problem(423, "RGP.AUTH.DISABLED");
}

async fn github_manual_exchange(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    // Without a state.
    rig.github.add_user(
        "c1",
        github_user(60, "app-user", Some("App User"), "app@example.com"),
    );
    let mut app = rig.server.client();
    let answer = app
        .post("/api/oauth/github/manual", json!({"code": "c1"}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["user"]["username"], "app-user");
    assert_eq!(answer.body["user"]["display_name"], "App User");
    assert_eq!(answer.body["user"]["roles"], json!(["member"]));
    assert!(answer.body["session"]["id"].is_string(), "{}", answer.body);
    let csrf = answer.cookie("CSRF-TOKEN").expect("CSRF-TOKEN cookie");
    assert_eq!(answer.body["csrf_token"], cookie_value(&csrf));
    let answer_csrf = answer.body["csrf_token"].as_str().map(str::to_string);
    assert!(answer.cookie("SESSION_ID").is_some());
    assert!(
        answer
            .cookie("OAUTH_STATE")
            .is_none_or(|c| cookie_value(&c).is_empty())
    );
    let me = app.get("/api/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user"]["id"], answer.body["user"]["id"]);
    assert_eq!(me.body["session"]["id"], answer.body["session"]["id"]);

    // With a state it made (no cookie needed); then the state is spent.
    let (_, state) = rig.start_flow("github").await;
    rig.github
        .add_user("c2", github_user(60, "app-user", None, "app@example.com"));
    let mut app2 = rig.server.client();
    let answer = app2
        .post(
            "/api/oauth/github/manual",
            json!({"code": "c2", "state": state}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["user"]["id"], me.body["user"]["id"]);
    assert_eq!(app2.get("/api/auth/me").await.status, 200);
    rig.github
        .add_user("c3", github_user(60, "app-user", None, "app@example.com"));
    rig.server
        .client()
        .post(
            "/api/oauth/github/manual",
            json!({"code": "c3", "state": state}),
        )
        .await
        .assert_problem(400, "RGP.OAUTH.INVALID_STATE");
    // A state never made, or made for Apple.
    rig.server
        .client()
        .post(
            "/api/oauth/github/manual",
            json!({"code": "c3", "state": "B".repeat(43)}),
        )
        .await
        .assert_problem(400, "RGP.OAUTH.INVALID_STATE");
    let (_, apple_state) = rig.start_flow("apple").await;
    rig.server
        .client()
        .post(
            "/api/oauth/github/manual",
            json!({"code": "c3", "state": apple_state}),
        )
        .await
        .assert_problem(400, "RGP.OAUTH.INVALID_STATE");

    // `auth_code`, the reference's name; `null` state counts as none.
    let mut app3 = rig.server.client();
    let answer = app3
        .post(
            "/api/oauth/github/manual",
            json!({"auth_code": "c3", "state": null}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["user"]["username"], "app-user");
    assert_eq!(app3.get("/api/auth/me").await.status, 200);

    // Neither.
    let missing = rig
        .server
        .client()
        .post("/api/oauth/github/manual", json!({"state": "x"}))
        .await;
    missing.assert_problem(422, "invalid_request");
    assert_eq!(missing.body["details"]["field"], "code");
    // An `error`-free body with a code that is empty is no code either way
    // the server reads it: never a session.
    let empty = rig
        .server
        .client()
        .post("/api/oauth/github/manual", json!({"code": ""}))
        .await;
    assert!(
        empty.status == 400 || empty.status == 422,
        "{} {}",
        empty.status,
        empty.body
    );
    assert!(empty.cookie("SESSION_ID").is_none());
    // The session of a manual sign-in passes CSRF with the body's token.
    app.csrf = answer_csrf;
    assert_eq!(app.post_empty("/api/auth/logout").await.status, 200);
}

// ---------------------------------------------------------------- Apple

async fn apple_form_post_sign_in(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    let (start, state) = rig.start_flow("apple").await;
    let auth_url = start.body["auth_url"].as_str().unwrap();
    assert!(
        auth_url.starts_with(&format!("{}/auth/authorize?", rig.apple.base_url())),
        "{auth_url}"
    );
    let query = query_of(auth_url);
    assert_eq!(query["client_id"], rig.apple.client_id());
    assert_eq!(query["redirect_uri"], APPLE_REDIRECT);
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["response_mode"], "form_post");
    assert_eq!(query["scope"], "name email");
    assert_eq!(query["state"], state);
    let cookie = start.cookie("OAUTH_STATE").unwrap();
    assert_eq!(
        attrs(&cookie),
        set(&["Path=/api/oauth", "HttpOnly", "SameSite=Lax", "Max-Age=600"]),
        "{cookie}"
    );

    rig.apple.add_code(
        "a1",
        AppleIdentity::new("001234.apple-sub.0001", "jane.doe+apple@example.com"),
    );
    let user_json = json!({
        "name": {"firstName": "Jane", "lastName": "Appleseed"},
        "email": "jane.doe+apple@example.com"
    })
    .to_string();
    let answer = rig
        .callback_post(
            &[("code", "a1"), ("state", &state), ("user", &user_json)],
            Some(&state),
        )
        .await;
    let mut client = rig.signed_in(&answer);
    let clear = answer.cookie("OAUTH_STATE").unwrap();
    assert!(attrs(&clear).contains("SameSite=Lax"), "{clear}");
    let user = rig.me(&mut client).await;
    assert_eq!(user["display_name"], "Jane Appleseed");
    assert_eq!(user["email"], "jane.doe+apple@example.com");
    assert_eq!(user["username"], "jane.doeapple");
    assert_eq!(user["roles"], json!(["member"]));

    // What Apple was sent: a client secret it took.
    assert_eq!(
        rig.apple.client_secret_rejections(),
        Vec::<String>::new(),
        "the fake refused the client secret"
    );
    let token = rig.apple.token_requests();
    assert_eq!(token.len(), 1, "{token:?}");
    let token = &token[0];
    assert_eq!(
        token.field("client_id"),
        Some(rig.apple.client_id().as_str())
    );
    assert_eq!(token.field("grant_type"), Some("authorization_code"));
    assert_eq!(token.field("code"), Some("a1"));
    assert_eq!(token.field("redirect_uri"), Some(APPLE_REDIRECT));
    let secret = token.field("client_secret").unwrap();
    let header = jwt_header(secret).expect("a JWT");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], rig.apple.key_id());
    let claims = jwt_claims(secret).unwrap();
    assert_eq!(claims["iss"], rig.apple.team_id());
    assert_eq!(claims["sub"], rig.apple.client_id());
    assert_eq!(claims["aud"], rig.apple.base_url());
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 300);
    assert!(
        (iat - rig.server_now_secs()).abs() <= 1,
        "iat {iat} is the server's now"
    );
    assert!(rig.apple.key_fetches() >= 1);

    // The second sign-in sends no `user`: the same account, the name stays.
    let again = rig
        .apple_user(
            "a2",
            AppleIdentity::new("001234.apple-sub.0001", "jane.doe+apple@example.com"),
            None,
        )
        .await;
    assert_eq!(again["id"], user["id"]);
    assert_eq!(again["display_name"], "Jane Appleseed");
}

async fn apple_get_callback_works(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.apple.add_code(
        "a1",
        AppleIdentity::new("apple-get-1", "getter@example.com"),
    );
    let (_, state) = rig.start_flow("apple").await;
    let answer = rig
        .callback_get("apple", &[("code", "a1"), ("state", &state)], Some(&state))
        .await;
    let mut client = rig.signed_in(&answer);
    let user = rig.me(&mut client).await;
    assert_eq!(user["username"], "getter");
    assert_eq!(user["email"], "getter@example.com");
    assert!(user.get("display_name").is_none(), "{user}");

    // Same subject again (by the form this time): the same account.
    let again = rig
        .apple_user(
            "a2",
            AppleIdentity::new("apple-get-1", "getter@example.com"),
            None,
        )
        .await;
    assert_eq!(again["id"], user["id"]);
    // And the manual route.
    rig.apple.add_code(
        "a3",
        AppleIdentity::new("apple-get-1", "getter@example.com"),
    );
    let mut app = rig.server.client();
    let manual = app
        .post("/api/oauth/apple/manual", json!({"code": "a3"}))
        .await;
    assert_eq!(manual.status, 200, "{}", manual.body);
    assert_eq!(manual.body["user"]["id"], user["id"]);
    assert_eq!(rig.apple.client_secret_rejections(), Vec::<String>::new());
}

async fn apple_email_verified_may_be_a_string(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    let user = rig
        .apple_user(
            "a1",
            AppleIdentity::new("apple-str-1", "stringy@example.com")
                .with_email_verified(EmailVerified::Str("true".into())),
            None,
        )
        .await;
    assert_eq!(user["email"], "stringy@example.com");

    for (code, sub, verified) in [
        ("a2", "apple-str-2", EmailVerified::Bool(false)),
        ("a3", "apple-str-3", EmailVerified::Str("false".into())),
        ("a4", "apple-str-4", EmailVerified::Absent),
    ] {
        rig.apple.add_code(
            code,
            AppleIdentity::new(sub, &format!("{sub}@example.com")).with_email_verified(verified),
        );
        assert_refused(
            &rig.apple_browser(code, None).await,
            403,
            "RGP.OAUTH.EMAIL_REQUIRED",
        );
    }
    // An unverified email does not link to the account that has it.
    rig.server.member("dora", json!(["member"])).await;
    rig.apple.add_code(
        "a5",
        AppleIdentity::new("apple-str-5", "dora@example.org")
            .with_email_verified(EmailVerified::Bool(false)),
    );
    assert_refused(
        &rig.apple_browser("a5", None).await,
        403,
        "RGP.OAUTH.EMAIL_REQUIRED",
    );
    // No email at all.
    rig.apple.add_code(
        "a6",
        AppleIdentity {
            sub: "apple-str-6".into(),
            email: None,
            email_verified: EmailVerified::Absent,
            token: TokenVariant::Valid,
        },
    );
    assert_refused(
        &rig.apple_browser("a6", None).await,
        403,
        "RGP.OAUTH.EMAIL_REQUIRED",
    );
    // But a known subject needs none.
    let again = rig
        .apple_user(
            "a7",
            AppleIdentity {
                sub: "apple-str-1".into(),
                email: None,
                email_verified: EmailVerified::Absent,
                token: TokenVariant::Valid,
            },
            None,
        )
        .await;
    assert_eq!(again["id"], user["id"]);
}

async fn apple_expired_id_token_is_refused_after_the_leeway(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.apple.add_code(
        "a1",
        AppleIdentity::new("apple-exp-1", "exp1@example.com").with_token(TokenVariant::Expired),
    );
    assert_refused(
        &rig.apple_browser("a1", None).await,
        401,
        "RGP.OAUTH.INVALID_ID_TOKEN",
    );
    let now = rig.server_now_secs();
    rig.apple.add_code(
        "a2",
        AppleIdentity::new("apple-exp-2", "exp2@example.com")
            .with_token(TokenVariant::ExpiresAt(now - 120)),
    );
    assert_refused(
        &rig.apple_browser("a2", None).await,
        401,
        "RGP.OAUTH.INVALID_ID_TOKEN",
    );
    // Inside the 60 s leeway.
    rig.apple.add_code(
        "a3",
        AppleIdentity::new("apple-exp-3", "exp3@example.com")
            .with_token(TokenVariant::ExpiresAt(now - 30)),
    );
    rig.signed_in(&rig.apple_browser("a3", None).await);
    // A token that expires in the server's past even though Apple thinks
    // it is fine: the server's clock decides.
    rig.apple
        .add_code("a4", AppleIdentity::new("apple-exp-4", "exp4@example.com"));
    let (_, state) = rig.start_flow("apple").await;
    rig.server.clock.advance_ms(5 * 60 * 1000); // the fake stays behind
    rig.apple.set_now(rig.server_now_secs() - 15 * 60);
    let answer = rig
        .callback_post(&[("code", "a4"), ("state", &state)], Some(&state))
        .await;
    assert_refused(&answer, 401, "RGP.OAUTH.INVALID_ID_TOKEN");
    assert!(rig.apple.client_secret_rejections().is_empty());
}

async fn apple_badly_made_id_tokens_are_refused(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    for (code, variant) in [
        ("a1", TokenVariant::WronglySigned),
        ("a2", TokenVariant::UnknownKid),
        ("a3", TokenVariant::WrongAudience),
        ("a4", TokenVariant::WrongIssuer),
    ] {
        rig.apple.add_code(
            code,
            AppleIdentity::new(&format!("apple-bad-{code}"), &format!("{code}@example.com"))
                .with_token(variant.clone()),
        );
        let answer = rig.apple_browser(code, None).await;
        assert!(
            answer.status == 401,
            "{variant:?}: {} {}",
            answer.status,
            answer.body
        );
        assert_refused(&answer, 401, "RGP.OAUTH.INVALID_ID_TOKEN");
    }
    rig.apple.add_code(
        "a5",
        AppleIdentity::new("apple-bad-a5", "a5@example.com").with_token(TokenVariant::WithoutExp),
    );
    rig.server
        .client()
        .post("/api/oauth/apple/manual", json!({"code": "a5"}))
        .await
        .assert_problem(401, "RGP.OAUTH.INVALID_ID_TOKEN");
    let list = rig.server.service().get("/api/admin/users").await;
    assert_eq!(
        list.body["users"].as_array().unwrap().len(),
        1,
        "{}",
        list.body
    );
}

async fn apple_rejected_code_and_provider_failures(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    // invalid_grant: unknown, then a used code.
    assert_refused(
        &rig.apple_browser("never-issued", None).await,
        400,
        "RGP.OAUTH.INVALID_CODE",
    );
    rig.apple
        .add_code("a1", AppleIdentity::new("apple-rej-1", "rej@example.com"));
    rig.signed_in(&rig.apple_browser("a1", None).await);
    assert_refused(
        &rig.apple_browser("a1", None).await,
        400,
        "RGP.OAUTH.INVALID_CODE",
    );
    // A form error from Apple (the user cancelled).
    let (_, state) = rig.start_flow("apple").await;
    let cancelled = rig
        .callback_post(
            &[("error", "user_cancelled_authorize"), ("state", &state)],
            Some(&state),
        )
        .await;
    assert_refused(&cancelled, 400, "RGP.OAUTH.INVALID_CODE");
    assert_eq!(
        cancelled.body["details"]["provider_error"],
        "user_cancelled_authorize"
    );
    // Apple fails.
    rig.apple
        .add_code("a2", AppleIdentity::new("apple-rej-2", "rej2@example.com"));
    rig.apple.fail_next(500);
    assert_refused(
        &rig.apple_browser("a2", None).await,
        502,
        "RGP.OAUTH.PROVIDER_ERROR",
    );
    assert!(rig.apple.client_secret_rejections().is_empty());
}

async fn apple_account_linked_to_another_subject_conflicts(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.server.member("erin", json!(["member"])).await;
    let erin = rig.user_id("erin").await;
    // Linked by email (another case) to the first subject.
    let linked = rig
        .apple_user(
            "a1",
            AppleIdentity::new("apple-erin-1", "ERIN@example.org"),
            None,
        )
        .await;
    assert_eq!(linked["id"], erin.as_str());
    // Another Apple subject with her email.
    rig.apple
        .add_code("a2", AppleIdentity::new("apple-erin-2", "erin@example.org"));
    let answer = rig.apple_browser("a2", None).await;
    assert_refused(&answer, 409, "RGP.CONFLICT");
    // A GitHub identity may still link to the same account.
    let by_github = rig
        .github_user("g1", github_user(70, "erin-gh", None, "erin@example.org"))
        .await;
    assert_eq!(by_github["id"], erin.as_str());
    // The first subject still signs in.
    let again = rig
        .apple_user(
            "a3",
            AppleIdentity::new("apple-erin-1", "erin@example.org"),
            None,
        )
        .await;
    assert_eq!(again["id"], erin.as_str());
}

async fn apple_callback_post_needs_a_form(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.apple
        .add_code("a1", AppleIdentity::new("apple-form-1", "form@example.com"));
    let (_, state) = rig.start_flow("apple").await;
    let json_body = rig
        .send(
            Method::POST,
            "/api/oauth/apple/callback",
            Some(&state),
            Some((
                "application/json",
                json!({"code": "a1", "state": state}).to_string(),
            )),
        )
        .await;
    json_body.assert_problem(415, "RGP.UNSUPPORTED_MEDIA_TYPE");
    // No code in the form.
    let (_, state) = rig.start_flow("apple").await;
    let no_code = rig.callback_post(&[("state", &state)], Some(&state)).await;
    assert_refused(&no_code, 400, "RGP.OAUTH.INVALID_CODE");
    // A GitHub state at Apple's door.
    let (_, github_state) = rig.start_flow("github").await;
    let wrong = rig
        .callback_post(
            &[("code", "a1"), ("state", &github_state)],
            Some(&github_state),
        )
        .await;
    assert_refused(&wrong, 400, "RGP.OAUTH.INVALID_STATE");
    // The code was not spent by any of that.
    rig.signed_in(&rig.apple_browser("a1", None).await);
}

async fn apple_refetches_keys_for_a_new_kid(backend: Backend) {
    let Some(rig) = Rig::ready(backend).await else {
        return;
    };
    rig.apple_user(
        "a1",
        AppleIdentity::new("apple-key-1", "k1@example.com"),
        None,
    )
    .await;
    let fetched = rig.apple.key_fetches();
    assert_eq!(fetched, 1);
    rig.apple_user(
        "a2",
        AppleIdentity::new("apple-key-2", "k2@example.com"),
        None,
    )
    .await;
    assert_eq!(rig.apple.key_fetches(), 1, "the keys are cached");
    let kid = rig.apple.rotate_keys();
    assert_eq!(rig.apple.signing_kid(), kid);
    rig.apple_user(
        "a3",
        AppleIdentity::new("apple-key-3", "k3@example.com"),
        None,
    )
    .await;
    assert_eq!(
        rig.apple.key_fetches(),
        2,
        "fetched once more for the new kid"
    );
}

async fn secure_state_cookies_cross_sites_only_for_apple(backend: Backend) {
    let Some(rig) = Rig::start(backend, &[("SESSION_COOKIE_SECURE", "true")]).await else {
        return;
    };
    rig.server.admin().await;
    let (apple, state) = rig.start_flow("apple").await;
    let cookie = apple.cookie("OAUTH_STATE").unwrap();
    assert_eq!(
        attrs(&cookie),
        set(&[
            "Path=/api/oauth",
            "HttpOnly",
            "SameSite=None",
            "Max-Age=600",
            "Secure"
        ]),
        "{cookie}"
    );
    let (github, _) = rig.start_flow("github").await;
    let cookie = github.cookie("OAUTH_STATE").unwrap();
    assert_eq!(
        attrs(&cookie),
        set(&[
            "Path=/api/oauth",
            "HttpOnly",
            "SameSite=Lax",
            "Max-Age=600",
            "Secure"
        ]),
        "{cookie}"
    );

    // Apple's form POST back with that cookie.
    rig.apple
        .add_code("a1", AppleIdentity::new("apple-sec-1", "sec@example.com"));
    let answer = rig
        .callback_post(&[("code", "a1"), ("state", &state)], Some(&state))
        .await;
    let mut client = rig.signed_in(&answer);
    for name in ["SESSION_ID", "CSRF-TOKEN", "OAUTH_STATE"] {
        let line = answer.cookie(name).unwrap();
        assert!(attrs(&line).contains("Secure"), "{line}");
    }
    let clear = answer.cookie("OAUTH_STATE").unwrap();
    assert!(attrs(&clear).contains("SameSite=None"), "{clear}");
    rig.me(&mut client).await;
    assert!(rig.apple.client_secret_rejections().is_empty());
}
