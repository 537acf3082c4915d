//! The fleet-wide limit (§7.4): with `REDIS_URL`, two processes on one
//! database draw from the same buckets and follow each other's changes
//! within a second; with Redis gone, requests are served unchecked, and
//! the limit holds again once it answers.

use std::time::{Duration, Instant};

use serde_json::json;
use sybil_testkit::redis_server::{RedisServer, redis_server_installed, shared_redis_url};

use sybil_testkit::free_port;

use super::{PROFILES, assign, profile};
use crate::accounts::kit::{ADMIN_TOKEN, Backend, Client};
use crate::conversations::{start, user};
use crate::helpers::eventually;
use crate::pg_database::PgDatabase;
use crate::sybil_process::SybilProcess;

fn service(base: &str) -> Client {
    Client {
        base: base.to_string(),
        http: reqwest::Client::new(),
        session: None,
        csrf: None,
        bearer: Some(ADMIN_TOKEN.into()),
    }
}

const USERS: &str = "/api/admin/users";

#[tokio::test]
async fn two_processes_share_one_limit_through_redis() {
    let Some(redis) = shared_redis_url() else {
        return;
    };
    let Some(db) = PgDatabase::create("sybil_limits").await else {
        return;
    };
    let env: Vec<(String, String)> = [
        ("DATABASE_URL", db.url()),
        ("ADMIN_TOKEN", ADMIN_TOKEN),
        ("REDIS_URL", redis.as_str()),
        ("RATE_LIMIT_PER_MINUTE", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let a = SybilProcess::start(env.clone()).await;
    let b = SybilProcess::start(env).await;
    let (mut on_a, mut on_b) = (service(&a.base), service(&b.base));

    // Four at once for the whole fleet, then one every 1000 s. A second,
    // roomy profile made afterwards tells when `b` has both.
    let tight = profile(
        &mut on_a,
        "fleet",
        json!({"burst": 4, "requests_per_second": 0.001}),
    )
    .await;
    assign(&mut on_a, &tight, "GET", USERS).await;
    let roomy = profile(&mut on_a, "roomy", json!({"burst": 1000})).await;
    assign(&mut on_a, &roomy, "GET", "/api/setup").await;
    let b_follows = eventually(Duration::from_secs(5), || {
        let mut c = service(&b.base);
        async move {
            let got = c.get("/api/setup").await;
            (got.header("x-ratelimit-profile") == Some("roomy")).then_some(())
        }
    })
    .await;
    assert!(b_follows.is_some(), "b never applied the assignments");

    let mut remaining = Vec::new();
    for i in 0..4 {
        let c = if i % 2 == 0 { &mut on_a } else { &mut on_b };
        let got = c.get(USERS).await;
        assert_eq!(got.status, 200, "{}", got.body);
        remaining.push(got.header("ratelimit-remaining").unwrap().to_string());
    }
    assert_eq!(remaining, ["3", "2", "1", "0"], "one bucket across both");
    on_a.get(USERS)
        .await
        .assert_problem(429, "RGP.RATE_LIMITED");
    on_b.get(USERS)
        .await
        .assert_problem(429, "RGP.RATE_LIMITED");

    // A change on `a` reaches `b` without a restart.
    let changed = Instant::now();
    let put = on_a
        .put(
            &format!("{PROFILES}/{tight}"),
            json!({"params": {"burst": 40}}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let applied = eventually(Duration::from_secs(5), || {
        let mut c = service(&b.base);
        async move {
            let got = c.get(USERS).await;
            (got.header("ratelimit-limit") == Some("40")).then_some(got.status)
        }
    })
    .await;
    assert_eq!(
        applied,
        Some(200),
        "the bucket kept its state and has room now"
    );
    eprintln!(
        "the change reached the other process in {:?}",
        changed.elapsed()
    );
}

#[tokio::test]
async fn with_redis_gone_requests_are_served_unchecked_until_it_answers() {
    if !redis_server_installed() {
        return;
    }
    let port = free_port();
    let redis = RedisServer::start(port);
    let url = redis.url();
    let Some(server) = start(Backend::Sqlite, &[("REDIS_URL", url.as_str())]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut ann = user(&server, "ann").await;
    let p = profile(
        &mut root,
        "redis-limit",
        json!({"burst": 2, "requests_per_second": 0.001}),
    )
    .await;
    assign(&mut root, &p, "GET", "/api/auth/me").await;
    assert_eq!(ann.c.get("/api/auth/me").await.status, 200);
    assert_eq!(ann.c.get("/api/auth/me").await.status, 200);
    ann.c
        .get("/api/auth/me")
        .await
        .assert_problem(429, "RGP.RATE_LIMITED");

    redis.kill();
    for _ in 0..3 {
        let got = ann.c.get("/api/auth/me").await;
        assert_eq!(got.status, 200, "admitted unchecked: {}", got.body);
        assert!(got.header("ratelimit-limit").is_none(), "no bucket decided");
    }
    let metrics = server.client().get_text("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("sybil_rate_limit_decisions_total{")
                && l.contains("profile=\"redis-limit\"")
                && l.contains("result=\"unchecked\"")),
        "{metrics}"
    );

    // Back (empty: no persistence): the limit holds again by itself.
    let _redis = RedisServer::start(port);
    let back = eventually(Duration::from_secs(5), || {
        let mut c = ann.c.clone();
        async move {
            let got = c.get("/api/auth/me").await;
            got.header("ratelimit-remaining").map(str::to_string)
        }
    })
    .await;
    assert_eq!(back.as_deref(), Some("1"));
    assert_eq!(ann.c.get("/api/auth/me").await.status, 200);
    ann.c
        .get("/api/auth/me")
        .await
        .assert_problem(429, "RGP.RATE_LIMITED");
}
