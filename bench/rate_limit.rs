//! Benchmark: the latency a rate-limit check adds to a request (§7): the
//! use case's `check` as the HTTP layer calls it, with 30 assignments
//! stored, the request matching a templated one, and 1000 users taking
//! turns. Printed: p50 and p99 of one check with buckets in this process
//! (goal: p50 ≤ 5 µs) and in Redis at 127.0.0.1:6379 (goal: p50 ≤ 0.3 ms).
//! `cargo bench --bench rate_limit`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use support::benchmarking;
use sybil::usecases::rate_limits::{RateLimitDeps, RateLimitService};
use sybil_domain::rate_limit::Principal;
use sybil_ports::inbound::{AssignmentInput, ProfileInput, RateLimitUseCases};
use sybil_ports::outbound::RateBuckets;
use sybil_redis::RedisBuckets;
use sybil_storage::{BoundedStorage, SeaOrmStorage};
use sybil_system::{MemoryBuckets, SystemClock, UuidV7Ids};
use uuid::Uuid;

const CHECKS: usize = 200_000;
const USERS: u128 = 1_000;

/// A service over a fresh SQLite database holding 30 assignments.
async fn service(buckets: Arc<dyn RateBuckets>, dir: &std::path::Path) -> RateLimitService {
    let url = format!("sqlite://{}/limits.db?mode=rwc", dir.display());
    let storage = SeaOrmStorage::connect(&url).await.expect("database");
    storage.migrate().await.expect("migrations");
    let storage = Arc::new(BoundedStorage::new(storage));
    let service = RateLimitService::new(RateLimitDeps {
        store: storage.clone(),
        buckets,
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7Ids),
        wakeups: storage,
        per_minute: 120,
    });
    let profile = service
        .create_profile(ProfileInput {
            name: format!("bench-{}", Uuid::now_v7()),
            params: json!({"burst": 1_000_000, "requests_per_second": 1_000_000})
                .as_object()
                .cloned(),
            ..ProfileInput::default()
        })
        .await
        .expect("profile");
    for i in 0..29 {
        let assignment = AssignmentInput {
            profile_id: profile.id,
            method: "GET".into(),
            path: format!("/api/area{i}/{{id}}/items"),
        };
        service.assign(assignment).await.expect("assignment");
    }
    let assignment = AssignmentInput {
        profile_id: profile.id,
        method: "POST".into(),
        path: "/api/threads/{conversation_id}/root".into(),
    };
    service.assign(assignment).await.expect("assignment");
    service
}

/// p50 and p99 of `CHECKS` checks, each timed on its own.
async fn measure(service: &RateLimitService) -> (Duration, Duration) {
    let path = format!("/api/threads/{}/root", Uuid::now_v7());
    let mut samples = Vec::with_capacity(CHECKS);
    for i in 0..CHECKS {
        let who = Principal::User(Uuid::from_u128(i as u128 % USERS));
        let started = Instant::now();
        let verdict = service.check("POST", &path, who).await;
        samples.push(started.elapsed());
        assert!(
            verdict.is_some_and(|v| v.decision.allowed),
            "every check decided"
        );
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

fn print(label: &str, (p50, p99): (Duration, Duration)) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{label:<44} p50 {:>8.2} µs   p99 {:>8.2} µs",
        us(p50),
        us(p99)
    );
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let local = service(Arc::new(MemoryBuckets::default()), dir.path()).await;
    measure(&local).await;
    print(
        "rate-limit check, buckets in process",
        measure(&local).await,
    );

    let redis = RedisBuckets::new("redis://127.0.0.1:6379/").expect("REDIS_URL");
    let shared_dir = tempfile::tempdir().expect("temp dir");
    let shared = service(Arc::new(redis), shared_dir.path()).await;
    if shared
        .check("GET", "/api/area0/x/items", Principal::Service)
        .await
        .is_none()
    {
        println!("rate-limit check, buckets in Redis: skipped (no Redis at 127.0.0.1:6379)");
        return;
    }
    print(
        "rate-limit check, buckets in Redis (loopback)",
        measure(&shared).await,
    );
}
