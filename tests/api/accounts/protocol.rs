//! What every `/api` answer shares (§1.3–§1.6): problem+json for framework
//! errors, the body rules, security headers, CORS, and `/api` never open.

use serde_json::json;

use super::kit::{Backend, Server, both_backends};

both_backends!(
    every_answer_carries_the_security_headers,
    listed_origins_get_cors_and_preflights_answer_first,
    framework_errors_are_problems,
);

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut c = server.client();
    for answer in [
        c.get("/api/setup").await,
        c.get("/api/auth/me").await,
        c.get("/api/nothing").await,
    ] {
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            answer.header("content-security-policy"),
            Some("default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'")
        );
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert!(answer.header("x-request-id").is_some());
        assert!(answer.header("access-control-allow-origin").is_none());
    }
    // `/v1` keeps its own contract.
    assert!(
        c.get("/health")
            .await
            .header("content-security-policy")
            .is_none()
    );
}

async fn listed_origins_get_cors_and_preflights_answer_first(backend: Backend) {
    let vars = [(
        "CORS_ALLOWED_ORIGINS",
        "https://app.example.org,http://localhost:5173",
    )];
    let Some(server) = Server::start(backend, &vars).await else {
        return;
    };
    let http = reqwest::Client::new();
    let url = format!("{}/api/admin/users", server.app.base);
    // A preflight is answered before authentication.
    let pre = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example.org")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-csrf-token",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example.org");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(
        h["access-control-allow-methods"],
        "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    );
    assert_eq!(
        h["access-control-allow-headers"],
        "content-type, x-csrf-token"
    );
    assert_eq!(h["access-control-max-age"], "600");
    // An ordinary answer to a listed origin, even a 401.
    let denied = http
        .get(&url)
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let h = denied.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(h["vary"], "Origin");
    assert!(
        h["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("X-Session-Rotated")
    );
    // Another origin gets nothing.
    let other = http
        .get(&url)
        .header("origin", "https://evil.example.org")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let pre = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://evil.example.org")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert!(pre.headers().get("access-control-allow-methods").is_none());
}

async fn framework_errors_are_problems(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut c = server.client();
    c.get("/api/no/such/route")
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    let wrong = c.request(reqwest::Method::DELETE, "/api/setup", None).await;
    wrong.assert_problem(405, "RGP.METHOD_NOT_ALLOWED");
    assert_eq!(wrong.header("allow"), Some("GET, POST"));
    let http = reqwest::Client::new();
    let url = format!("{}/api/auth/login", server.app.base);
    let text = http
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    assert_eq!(text.headers()["content-type"], "application/problem+json");
    let empty = http
        .post(&url)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    let typed = c
        .post("/api/auth/login", json!({"email": 7, "password": "x"}))
        .await;
    typed.assert_problem(422, "invalid_request");
    assert_eq!(
        typed.body["details"],
        json!({"field": "email", "reason": "invalid_type"})
    );
    let null = c
        .post("/api/auth/login", json!({"email": null, "password": "x"}))
        .await;
    assert_eq!(
        null.body["details"],
        json!({"field": "email", "reason": "missing"})
    );
    // Bodies past 1 MiB: 413, after authentication.
    let big = json!({"email": "a@b", "password": "x".repeat(1_100_000)});
    let too_big = http.post(&url).json(&big).send().await.unwrap();
    assert_eq!(too_big.status(), 413);
    let body: serde_json::Value = too_big.json().await.unwrap();
    assert_eq!(body["code"], "RGP.PAYLOAD_TOO_LARGE");
    // `/api` is never open: without ADMIN_TOKEN a bearer is refused too.
    let open = crate::helpers::spawn_app().await;
    let answer = reqwest::Client::new()
        .get(format!("{}/api/admin/users", open.base))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let anon = reqwest::Client::new()
        .get(format!("{}/api/admin/users", open.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
}
