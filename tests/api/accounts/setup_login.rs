//! Setup (§4.1) and login (§4.2, §3.5): once-only setup, sign-in by email or
//! username, equal answers for unknown accounts and wrong passwords, and
//! the per-address and per-account throttles.

use serde_json::json;

use super::kit::{Backend, PASSWORD, Server, both_backends};

both_backends!(
    setup_happens_once_and_checks_its_fields,
    concurrent_setups_make_one_admin,
    login_by_email_or_username_opens_a_session,
    unknown_accounts_and_wrong_passwords_are_the_same_answer,
    a_disabled_account_is_told_so_only_after_the_right_password,
    every_attempt_counts_against_the_address,
    failures_count_against_the_account,
);

async fn setup_happens_once_and_checks_its_fields(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut anon = server.client();
    assert_eq!(
        anon.get("/api/setup").await.body,
        json!({"is_setup": false})
    );
    for (body, field) in [
        (
            json!({"username": "root", "email": "nope", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"username": "bad name", "email": "r@x.org", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "root", "email": "r@x.org", "password": "short"}),
            "password",
        ),
    ] {
        let answer = anon.post("/api/setup", body).await;
        answer.assert_problem(400, "validation_failed");
        assert_eq!(answer.body["details"]["field"], field);
    }
    let missing = anon.post("/api/setup", json!({"username": "root"})).await;
    missing.assert_problem(422, "invalid_request");
    assert_eq!(
        missing.body["details"],
        json!({"field": "email", "reason": "missing"})
    );
    assert_eq!(
        anon.get("/api/setup").await.body,
        json!({"is_setup": false})
    );

    let done = anon
        .post(
            "/api/setup",
            json!({"username": " root ", "email": "Root@Example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.cookies().is_empty(), "setup opens no session");
    assert_eq!(anon.get("/api/setup").await.body, json!({"is_setup": true}));

    // Once an account exists, even a body that breaks the field rules is told so.
    let again = anon
        .post(
            "/api/setup",
            json!({"username": "x y", "email": "no", "password": "1"}),
        )
        .await;
    again.assert_problem(400, "RGP.SETUP.ALREADY_COMPLETED");
    assert_eq!(again.body["message"], "setup has already been completed");
    // …but a body that is not JSON is still a malformed body.
    let raw = reqwest::Client::new()
        .post(format!("{}/api/setup", server.app.base))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["code"], "RGP.MALFORMED_JSON");

    let root = server.signed_in("root").await;
    let me = root.clone().get("/api/auth/me").await;
    assert_eq!(me.body["user"]["username"], "root");
    assert_eq!(me.body["user"]["email"], "Root@Example.org");
    assert_eq!(me.body["user"]["roles"], json!(["admin", "member"]));
}

async fn concurrent_setups_make_one_admin(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let tries = (0..6).map(|i| {
        let mut c = server.client();
        async move {
            c.post(
                "/api/setup",
                json!({"username": format!("admin{i}"), "email": format!("a{i}@x.org"), "password": PASSWORD}),
            )
            .await
            .status
        }
    });
    let statuses = futures::future::join_all(tries).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
    let users = server.service().get("/api/admin/users").await;
    assert_eq!(users.body["users"].as_array().unwrap().len(), 1);
}

async fn login_by_email_or_username_opens_a_session(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    server.admin().await;
    for login in [
        "root@example.org",
        "ROOT@EXAMPLE.ORG",
        "root",
        "Root",
        "  root  ",
    ] {
        let mut c = server.client();
        let answer = c.login(login, PASSWORD).await;
        assert_eq!(answer.status, 200, "{login}: {}", answer.body);
        let body = &answer.body;
        assert_eq!(body["user"]["username"], "root");
        assert!(
            body["user"].get("display_name").is_none(),
            "absent, not null"
        );
        assert_eq!(body["user"].as_object().unwrap().len(), 4);
        assert_eq!(body["session"].as_object().unwrap().len(), 4);
        assert_eq!(body["csrf_token"].as_str().unwrap().len(), 43);
        assert_eq!(
            Some(body["csrf_token"].as_str().unwrap()),
            c.csrf.as_deref()
        );
        assert!(answer.header("x-session-rotated").is_none());
        let session = answer.cookie("SESSION_ID").unwrap();
        assert!(
            session.contains("; Path=/; HttpOnly; SameSite=Lax; Max-Age=28800; Expires="),
            "{session}"
        );
        assert!(session.ends_with("; Secure"), "{session}");
        let csrf = answer.cookie("CSRF-TOKEN").unwrap();
        assert!(
            csrf.contains("; Path=/; SameSite=Strict; Max-Age=28800;"),
            "{csrf}"
        );
        assert!(!csrf.contains("HttpOnly"));
        assert_eq!(c.get("/api/auth/me").await.status, 200);
    }
    let metrics = server.client().get_text("/metrics").await;
    assert!(
        metrics.contains(r#"sybil_logins_total{result="success"}"#),
        "{metrics}"
    );
    let empty = server.client().login("  ", PASSWORD).await;
    empty.assert_problem(422, "invalid_request");
    assert_eq!(empty.body["message"], "email and password are required");
    server
        .client()
        .login("root", "")
        .await
        .assert_problem(422, "invalid_request");
}

async fn unknown_accounts_and_wrong_passwords_are_the_same_answer(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    server.admin().await;
    let wrong = server.client().login("root", "not the password").await;
    let unknown = server
        .client()
        .login("nobody@example.org", "not the password")
        .await;
    wrong.assert_problem(401, "RGP.AUTH.INVALID_CREDENTIALS");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["message"], "invalid credentials");
    assert!(wrong.cookies().is_empty());
}

async fn a_disabled_account_is_told_so_only_after_the_right_password(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    server.admin().await;
    let ann = server.member("ann", json!(["member"])).await;
    let me = ann.clone().get("/api/auth/me").await;
    let id = me.body["user"]["id"].as_str().unwrap().to_string();
    let off = server
        .service()
        .patch(&format!("/api/admin/users/{id}"), json!({"disabled": true}))
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    server
        .client()
        .login("ann", "wrong password")
        .await
        .assert_problem(401, "RGP.AUTH.INVALID_CREDENTIALS");
    server
        .client()
        .login("ann", PASSWORD)
        .await
        .assert_problem(423, "RGP.AUTH.DISABLED");
}

async fn every_attempt_counts_against_the_address(backend: Backend) {
    let vars = [
        ("LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let Some(server) = Server::start(backend, &vars).await else {
        return;
    };
    server.admin().await;
    let from = |ip: &'static str| {
        let http = reqwest::Client::new();
        let url = format!("{}/api/auth/login", server.app.base);
        async move {
            http.post(url)
                .header("x-forwarded-for", ip)
                .json(&json!({"email": "root", "password": PASSWORD}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(from("203.0.113.7").await.status(), 200);
    }
    // Refused even with the right password, before the body is read.
    let refused = from("203.0.113.7").await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "RGP.RATE_LIMITED");
    assert_eq!(body["details"]["retry_after_seconds"], retry);
    // Another client behind the same trusted proxy has its own bucket.
    assert_eq!(from("198.51.100.9").await.status(), 200);
    // A bucket refills at 3 a minute.
    server.clock.advance_ms(20_000);
    assert_eq!(from("203.0.113.7").await.status(), 200);
}

async fn failures_count_against_the_account(backend: Backend) {
    let vars = [("LOGIN_FAILURES_PER_ACCOUNT_PER_15_MINUTES", "2")];
    let Some(server) = Server::start(backend, &vars).await else {
        return;
    };
    server.admin().await;
    server.member("ann", json!(["member"])).await;
    for _ in 0..2 {
        server
            .client()
            .login("root", "wrong password")
            .await
            .assert_problem(401, "RGP.AUTH.INVALID_CREDENTIALS");
    }
    let refused = server.client().login("ROOT", PASSWORD).await;
    refused.assert_problem(429, "RGP.RATE_LIMITED");
    let retry = refused.body["details"]["retry_after_seconds"]
        .as_u64()
        .unwrap();
    assert_eq!(
        refused.header("retry-after"),
        Some(retry.to_string().as_str())
    );
    // Successes do not count, and other accounts are not affected.
    assert_eq!(server.client().login("ann", PASSWORD).await.status, 200);
    assert_eq!(server.client().login("ann", PASSWORD).await.status, 200);
    assert_eq!(server.client().login("ann", PASSWORD).await.status, 200);
    // One failure's worth refills in 7.5 minutes.
    server.clock.advance_ms(450_000);
    assert_eq!(server.client().login("root", PASSWORD).await.status, 200);
}
