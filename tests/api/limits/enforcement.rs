//! Enforcement (§7.2, §7.3): the most specific assignment decides, each
//! principal has its own bucket, every decided answer carries the headers,
//! and a change applies at once.

use serde_json::{Value, json};

use super::{ASSIGNMENTS, PROFILES, assign, profile};
use crate::accounts::kit::{Answer, Backend, both_backends};
use crate::conversations::{start, user};

both_backends!(
    a_limit_hit_by_one_user_leaves_another_alone,
    anonymous_callers_are_limited_by_address,
    a_change_applies_to_the_next_request,
    probes_preflights_and_unmatched_routes_are_never_limited,
);

const ME: &str = "/api/auth/me";

/// The four headers of §7.3.
fn limit_headers(a: &Answer) -> [Option<&str>; 4] {
    [
        a.header("ratelimit-limit"),
        a.header("ratelimit-remaining"),
        a.header("ratelimit-reset"),
        a.header("x-ratelimit-profile"),
    ]
}

async fn a_limit_hit_by_one_user_leaves_another_alone(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut ann = user(&server, "ann").await;
    let mut bob = user(&server, "bob").await;
    // Two at once, then one every 100 s. Named per backend: both cases
    // count in this test process's one metrics recorder.
    let name = format!("me-limit-{backend:?}");
    let p = profile(
        &mut root,
        &name,
        json!({"burst": 2, "requests_per_second": 0.01}),
    )
    .await;
    assign(&mut root, &p, "GET", ME).await;

    let first = ann.c.get(ME).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        limit_headers(&first),
        [Some("2"), Some("1"), Some("100"), Some(name.as_str())]
    );
    let second = ann.c.get(ME).await;
    assert_eq!(
        limit_headers(&second),
        [Some("2"), Some("0"), Some("200"), Some(name.as_str())]
    );
    let refused = ann.c.get(ME).await;
    refused.assert_problem(429, "RGP.RATE_LIMITED");
    assert_eq!(refused.header("retry-after"), Some("100"));
    assert_eq!(refused.body["details"], json!({"retry_after_seconds": 100}));
    assert_eq!(
        limit_headers(&refused),
        [Some("2"), Some("0"), Some("200"), Some(name.as_str())]
    );

    let other = bob.c.get(ME).await;
    assert_eq!(other.status, 200, "another user has a bucket of their own");
    assert_eq!(other.header("ratelimit-remaining"), Some("1"));
    // An answer given before the limiter ran carries no headers.
    let anonymous = server.client().get(ME).await;
    anonymous.assert_problem(401, "RGP.AUTH.MISSING_SESSION");
    assert_eq!(limit_headers(&anonymous), [None; 4]);

    server.clock.advance_ms(100_000);
    assert_eq!(
        ann.c.get(ME).await.status,
        200,
        "refilled after Retry-After"
    );

    let metrics = server.client().get_text("/metrics").await;
    let count = |result: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("sybil_rate_limit_decisions_total{")
                    && l.contains(&format!("profile=\"{name}\""))
                    && l.contains("rule=\"GET /api/auth/me\"")
                    && l.contains(&format!("result=\"{result}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_string)
    };
    assert_eq!(count("allowed").as_deref(), Some("4"), "{metrics}");
    assert_eq!(count("limited").as_deref(), Some("1"), "{metrics}");
}

async fn anonymous_callers_are_limited_by_address(backend: Backend) {
    let Some(server) = start(backend, &[("TRUSTED_PROXIES", "127.0.0.1/32")]).await else {
        return;
    };
    let mut root = server.admin().await;
    let p = profile(&mut root, "setup-limit", json!({"burst": 1})).await;
    assign(&mut root, &p, "GET", "/api/setup").await;
    let client = server.client();
    let from = |addr: &'static str| {
        let client = client.clone();
        async move {
            client
                .open("/api/setup", &[("x-forwarded-for", addr)])
                .await
        }
    };
    let first = from("10.0.0.1").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-profile"], "setup-limit");
    assert_eq!(first.headers()["ratelimit-remaining"], "0");
    let again = from("10.0.0.1").await;
    assert_eq!(again.status(), 429);
    assert_eq!(again.headers()["retry-after"], "1");
    assert_eq!(from("10.0.0.2").await.status(), 200, "another address");
}

async fn a_change_applies_to_the_next_request(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut ann = user(&server, "ann").await;
    let p = profile(&mut root, "tight", json!({"burst": 1})).await;
    let wide = profile(&mut root, "wide", json!({"burst": 50})).await;
    let assigned = assign(&mut root, &p, "GET", ME).await;
    assert_eq!(ann.c.get(ME).await.status, 200);
    assert_eq!(ann.c.get(ME).await.status, 429);

    // More burst: the bucket keeps its state, the new params apply.
    let changed = root
        .put(&format!("{PROFILES}/{p}"), json!({"params": {"burst": 3}}))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    for remaining in ["1", "0"] {
        let after = ann.c.get(ME).await;
        assert_eq!(after.status, 200, "{}", after.body);
        assert_eq!(
            (
                after.header("ratelimit-limit"),
                after.header("ratelimit-remaining")
            ),
            (Some("3"), Some(remaining))
        );
    }

    // A more specific assignment wins over a wider one, whatever the order.
    assign(&mut root, &wide, "GET", "/api/*").await;
    assert_eq!(ann.c.get(ME).await.status, 429, "still the tight profile");
    assert_eq!(
        ann.c
            .get("/api/conversations")
            .await
            .header("x-ratelimit-profile"),
        Some("wide")
    );

    // Removed: the wide profile covers the route now.
    assert_eq!(
        root.delete(&format!("{ASSIGNMENTS}/{assigned}"))
            .await
            .status,
        204
    );
    let freed = ann.c.get(ME).await;
    assert_eq!(freed.status, 200);
    assert_eq!(freed.header("x-ratelimit-profile"), Some("wide"));
}

async fn probes_preflights_and_unmatched_routes_are_never_limited(backend: Backend) {
    let Some(server) = start(backend, &[("CORS_ALLOWED_ORIGINS", "https://app.example")]).await
    else {
        return;
    };
    let mut root = server.admin().await;
    let p = profile(
        &mut root,
        "none",
        json!({"burst": 1, "requests_per_second": 0.001}),
    )
    .await;
    for method in ["GET", "HEAD"] {
        assign(&mut root, &p, method, "*").await;
    }
    let http = reqwest::Client::new();
    for path in [
        "/health",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/openapi.yaml",
    ] {
        for _ in 0..2 {
            let resp = http.get(server.app.url(path)).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            assert!(!resp.headers().contains_key("ratelimit-limit"), "{path}");
        }
    }
    for _ in 0..2 {
        let preflight = http
            .request(reqwest::Method::OPTIONS, server.app.url(ME))
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), 204);
        assert!(!preflight.headers().contains_key("ratelimit-limit"));
    }
    // Every other GET counts, on any surface: `/v1` answers its own 429.
    let first = http
        .get(server.app.url("/v1/models"))
        .bearer_auth(crate::accounts::kit::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-profile"], "none");
    let second = http
        .get(server.app.url("/v1/models"))
        .bearer_auth(crate::accounts::kit::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 429);
    assert!(second.headers().contains_key("retry-after"));
    assert_eq!(
        second.json::<Value>().await.unwrap(),
        json!({"message": "rate limit exceeded"})
    );
    // POST is not assigned: not limited.
    let mut ann = user(&server, "ann").await;
    let made = ann
        .c
        .post("/api/conversations", json!({"title": "t"}))
        .await;
    assert_eq!(made.status, 201);
    assert!(made.header("ratelimit-limit").is_none());
}
