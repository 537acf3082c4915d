//! Sessions (§3.1, §3.3, §3.4): idle and absolute expiry on the server's
//! clock, rotation with its 10 s grace, CSRF, logout, and the service bearer.

use serde_json::json;

use super::kit::{ADMIN_TOKEN, Backend, Server, both_backends};

both_backends!(
    idle_and_absolute_deadlines_end_a_session,
    half_the_idle_window_left_rotates_with_a_grace,
    refresh_rotates_and_refuses_an_already_rotated_token,
    csrf_is_checked_on_cookie_writes_only,
    logout_needs_csrf_and_clears_both_cookies,
    a_role_change_rotates_and_a_disabled_account_is_locked_out,
    the_service_bearer_is_an_admin_without_a_session,
);

/// Short windows so the clock can cross them: idle 100 s, absolute 150 s.
const WINDOWS: [(&str, &str); 3] = [
    ("SESSION_IDLE_SECONDS", "100"),
    ("SESSION_ABSOLUTE_SECONDS", "150"),
    ("SESSION_COOKIE_SECURE", "false"),
];

async fn idle_and_absolute_deadlines_end_a_session(backend: Backend) {
    let Some(server) = Server::start(backend, &WINDOWS).await else {
        return;
    };
    let mut root = server.admin().await;
    let plain = server.client().login("root", super::kit::PASSWORD).await;
    assert!(!plain.cookie("SESSION_ID").unwrap().contains("Secure"));
    assert!(plain.cookie("SESSION_ID").unwrap().contains("Max-Age=100;"));
    // Idle: no request moves the deadline (only a rotation does).
    server.clock.advance_ms(40_000);
    assert_eq!(root.get("/api/auth/me").await.status, 200);
    server.clock.advance_ms(60_000);
    let expired = root.get("/api/auth/me").await;
    expired.assert_problem(401, "RGP.AUTH.EXPIRED");
    assert_eq!(expired.header("www-authenticate"), Some("session"));
    // It was revoked: from now on it is unknown.
    root.get("/api/auth/me")
        .await
        .assert_problem(401, "RGP.AUTH.INVALID_SESSION");

    // Absolute: rotations move the idle deadline, never past the absolute one.
    let mut ann = server.signed_in("root").await;
    for _ in 0..2 {
        server.clock.advance_ms(60_000);
        let rotated = ann.get("/api/auth/me").await;
        assert_eq!(
            rotated.header("x-session-rotated"),
            Some("1"),
            "{}",
            rotated.body
        );
    }
    let me = ann.get("/api/auth/me").await;
    assert_eq!(
        me.body["session"]["expires_at"],
        me.body["session"]["absolute_expires_at"]
    );
    server.clock.advance_ms(30_000);
    ann.get("/api/auth/me")
        .await
        .assert_problem(401, "RGP.AUTH.EXPIRED");
}

async fn half_the_idle_window_left_rotates_with_a_grace(backend: Backend) {
    let Some(server) = Server::start(backend, &WINDOWS).await else {
        return;
    };
    let mut root = server.admin().await;
    let before = root.get("/api/auth/me").await;
    assert!(before.header("x-session-rotated").is_none());
    let old = root.clone();
    server.clock.advance_ms(51_000);
    let rotated = root.get("/api/auth/me").await;
    assert_eq!(rotated.status, 200);
    assert_eq!(rotated.header("x-session-rotated"), Some("1"));
    assert!(rotated.cookie("SESSION_ID").is_some() && rotated.cookie("CSRF-TOKEN").is_some());
    // The body shows the new session.
    assert_ne!(rotated.body["session"]["id"], before.body["session"]["id"]);
    assert_ne!(root.session, old.session);
    assert_ne!(root.csrf, old.csrf);

    // The previous token still works for 10 s, without rotating again.
    let mut old = old;
    server.clock.advance_ms(9_000);
    let in_grace = old.get("/api/auth/me").await;
    assert_eq!(in_grace.status, 200);
    assert!(in_grace.header("x-session-rotated").is_none());
    assert!(in_grace.cookies().is_empty());
    // Both CSRF tokens are accepted with either token meanwhile.
    let mut crossed = old.clone();
    crossed.csrf = root.csrf.clone();
    let made = crossed
        .post(
            "/api/admin/users",
            json!({"username": "ann", "email": "ann@x.org", "password": "password1"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let mut crossed = root.clone();
    crossed.csrf = old.csrf.clone();
    let made = crossed
        .post(
            "/api/admin/users",
            json!({"username": "bob", "email": "bob@x.org", "password": "password1"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);

    server.clock.advance_ms(1_000);
    old.get("/api/auth/me")
        .await
        .assert_problem(401, "RGP.AUTH.INVALID_SESSION");
    assert_eq!(root.get("/api/auth/me").await.status, 200);
}

async fn refresh_rotates_and_refuses_an_already_rotated_token(backend: Backend) {
    let Some(server) = Server::start(backend, &WINDOWS).await else {
        return;
    };
    let mut root = server.admin().await;
    let old = root.clone();
    server.clock.advance_ms(5_000);
    let refreshed = root.post_empty("/api/auth/refresh").await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.header("x-session-rotated"), Some("1"));
    assert_eq!(
        Some(refreshed.body["csrf_token"].as_str().unwrap()),
        root.csrf.as_deref()
    );
    assert_eq!(refreshed.body["user"]["username"], "root");
    // No CSRF needed on refresh; an old token in its grace must use the new one.
    let mut old = old;
    old.csrf = None;
    old.post_empty("/api/auth/refresh")
        .await
        .assert_problem(409, "RGP.AUTH.ROTATION_REQUIRED");
    // A refresh when a rotation is due anyway rotates once: one new session.
    server.clock.advance_ms(51_000);
    let once = root.post_empty("/api/auth/refresh").await;
    assert_eq!(once.status, 200, "{}", once.body);
    assert_eq!(once.cookies().len(), 2, "{:?}", once.cookies());
    server.clock.advance_ms(11_000);
    let me = root.get("/api/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["session"]["id"], once.body["session"]["id"]);
    // An idle-expired session cannot be refreshed.
    server.clock.advance_ms(100_000);
    root.post_empty("/api/auth/refresh")
        .await
        .assert_problem(401, "RGP.AUTH.EXPIRED");
    server
        .client()
        .post_empty("/api/auth/refresh")
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
}

async fn csrf_is_checked_on_cookie_writes_only(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let root = server.admin().await;
    let other = server.signed_in("root").await;
    let body = json!({"username": "ann", "email": "ann@x.org", "password": "password1"});
    let mut missing = root.clone();
    missing.csrf = None;
    let answer = missing.post("/api/admin/users", body.clone()).await;
    answer.assert_problem(403, "RGP.AUTH.CSRF");
    assert_eq!(answer.body["message"], "missing CSRF header token");
    let mut wrong = root.clone();
    wrong.csrf = Some("x".repeat(43));
    let answer = wrong.post("/api/admin/users", body.clone()).await;
    assert_eq!(answer.body["message"], "CSRF token mismatch");
    // Another session's token is a mismatch too.
    let mut foreign = root.clone();
    foreign.csrf = other.csrf.clone();
    foreign
        .post("/api/admin/users", body.clone())
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    // CSRF comes before route access: a member without a token gets 403 CSRF.
    // Reads need none; nothing was created by the refused writes.
    let list = missing.get("/api/admin/users").await;
    assert_eq!(
        list.body["users"].as_array().unwrap().len(),
        1,
        "{}",
        list.body
    );
    let mut good = root.clone();
    assert_eq!(good.post("/api/admin/users", body).await.status, 201);
}

async fn logout_needs_csrf_and_clears_both_cookies(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let root = server.admin().await;
    let mut no_csrf = root.clone();
    no_csrf.csrf = None;
    no_csrf
        .post_empty("/api/auth/logout")
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    let mut root = root;
    let kept = root.clone();
    let out = root.post_empty("/api/auth/logout").await;
    assert_eq!(out.status, 200);
    assert_eq!(out.body, json!({"ok": true}));
    for name in ["SESSION_ID", "CSRF-TOKEN"] {
        let line = out.cookie(name).unwrap();
        assert!(line.starts_with(&format!("{name}=;")), "{line}");
        assert!(
            line.contains("Max-Age=0") && line.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            "{line}"
        );
    }
    let mut kept = kept;
    let gone = kept.post_empty("/api/auth/logout").await;
    gone.assert_problem(401, "RGP.AUTH.INVALID_SESSION");
    // A logout's 401 clears the cookies too.
    assert!(gone.cookie("SESSION_ID").unwrap().contains("Max-Age=0"));
    server
        .client()
        .post_empty("/api/auth/logout")
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");

    // Logout also ends the predecessor still in its grace.
    let mut fresh = server.signed_in("root").await;
    let previous = fresh.clone();
    assert_eq!(fresh.post_empty("/api/auth/refresh").await.status, 200);
    assert_eq!(fresh.post_empty("/api/auth/logout").await.status, 200);
    previous
        .clone()
        .get("/api/auth/me")
        .await
        .assert_problem(401, "RGP.AUTH.INVALID_SESSION");
}

async fn a_role_change_rotates_and_a_disabled_account_is_locked_out(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut ann = server.member("ann", json!(["member"])).await;
    let id = ann.get("/api/auth/me").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ann.get("/api/admin/users")
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    server.clock.advance_ms(1);
    let promoted = root
        .patch(
            &format!("/api/admin/users/{id}"),
            json!({"roles": ["admin", "member"]}),
        )
        .await;
    assert_eq!(
        promoted.body["roles"],
        json!(["admin", "member"]),
        "{}",
        promoted.body
    );
    server.clock.advance_ms(1);
    let rotated = ann.get("/api/admin/users").await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(rotated.header("x-session-rotated"), Some("1"));
    assert!(
        ann.get("/api/auth/me")
            .await
            .header("x-session-rotated")
            .is_none()
    );

    let locked = root
        .patch(&format!("/api/admin/users/{id}"), json!({"disabled": true}))
        .await;
    assert_eq!(locked.body["disabled"], true);
    ann.get("/api/auth/me")
        .await
        .assert_problem(423, "RGP.AUTH.DISABLED");
    // The session was revoked: enabling the account again does not revive it.
    root.patch(
        &format!("/api/admin/users/{id}"),
        json!({"disabled": false}),
    )
    .await;
    ann.get("/api/auth/me")
        .await
        .assert_problem(401, "RGP.AUTH.INVALID_SESSION");
}

async fn the_service_bearer_is_an_admin_without_a_session(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let root = server.admin().await;
    let mut service = server.service();
    // Cookies are ignored when a bearer is sent; no CSRF is needed.
    service.session = root.session.clone();
    let made = service
        .post(
            "/api/admin/users",
            json!({"username": "ann", "email": "ann@x.org", "password": "password1"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    service
        .get("/api/auth/me")
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
    service
        .post_empty("/api/auth/logout")
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
    let mut wrong = root.clone();
    wrong.bearer = Some(format!("{ADMIN_TOKEN}x"));
    let refused = wrong.get("/api/auth/me").await;
    refused.assert_problem(401, "RGP.AUTH.INVALID_TOKEN");
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
}
