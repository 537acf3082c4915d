//! Outages, on `redis-server` children: requests go on unchecked within the
//! timeout while Redis is down or hung, and the same `RedisBuckets` uses
//! Redis again by itself as soon as it answers.

use std::time::{Duration, Instant};

use sybil_domain::rate_limit::{Gcra, GcraDecision};
use sybil_ports::outbound::{BucketsUnavailable, RateBuckets};
use sybil_redis::{DEFAULT_TIMEOUT, RedisBuckets};

use sybil_testkit::free_port;
use sybil_testkit::redis_server::{RedisServer, redis_server_installed};

use crate::support::{Logs, now_us};

const LIMIT: Gcra = Gcra {
    requests_per_second: 1.0,
    burst: 2,
};

/// A failed call ends: after the timeout at most, plus a bound on a loaded
/// machine's scheduling slack far above it (not a speed figure: the point
/// is that it does not hang).
const FAIL_WITHIN: Duration = DEFAULT_TIMEOUT.saturating_add(Duration::from_secs(5));

async fn timed(
    buckets: &RedisBuckets,
    key: &str,
) -> (Result<GcraDecision, BucketsUnavailable>, Duration) {
    let started = Instant::now();
    let result = buckets.decide(key, LIMIT, now_us(), true).await;
    (result, started.elapsed())
}

/// Decides until Redis answers; panics after about 5 s.
async fn until_answered(buckets: &RedisBuckets, key: &str) -> GcraDecision {
    for _ in 0..100 {
        let (result, took) = timed(buckets, key).await;
        assert!(took < FAIL_WITHIN, "a call took {took:?}");
        if let Ok(decision) = result {
            return decision;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Redis did not answer again within 5 s");
}

async fn fails_open(buckets: &RedisBuckets, key: &str, times: usize) {
    for _ in 0..times {
        let (result, took) = timed(buckets, key).await;
        let error = result.expect_err("Redis is down");
        assert!(took < FAIL_WITHIN, "failing took {took:?}");
        assert!(!error.to_string().contains("redis://"), "{error}");
    }
}

#[tokio::test]
async fn fails_open_while_redis_is_down_and_recovers_by_itself() {
    if !redis_server_installed() {
        return;
    }
    let (logs, _guard) = Logs::capture();
    let port = free_port();
    let server = RedisServer::start(port);
    let buckets = RedisBuckets::new(&server.url()).unwrap();
    for left in [1, 0] {
        assert_eq!(until_answered(&buckets, "k").await.remaining, left);
    }
    assert!(!timed(&buckets, "k").await.0.unwrap().allowed);

    server.kill();
    fails_open(&buckets, "k", 5).await;
    assert_eq!(logs.count("WARN"), 1, "{}", logs.text());

    // Back on the same port, without persistence: the bucket is new, and
    // the same instance uses it (the script is loaded again by itself).
    let server = RedisServer::start(port);
    let t = now_us();
    let first = until_answered(&buckets, "k").await;
    assert!(first.allowed);
    assert_eq!(first.remaining, 1);
    assert!(first.tat_us >= t + 1_000_000);
    assert_eq!(timed(&buckets, "k").await.0.unwrap().remaining, 0);
    assert_eq!(logs.count("INFO"), 1, "{}", logs.text());
    assert_eq!(logs.count("WARN"), 1, "{}", logs.text());

    // A second outage is warned about once more.
    server.kill();
    fails_open(&buckets, "k", 3).await;
    assert_eq!(logs.count("WARN"), 2, "{}", logs.text());
}

#[tokio::test]
async fn a_service_started_while_redis_is_down_uses_it_once_it_answers() {
    if !redis_server_installed() {
        return;
    }
    let (logs, _guard) = Logs::capture();
    let port = free_port();
    let buckets = RedisBuckets::new(&format!("redis://127.0.0.1:{port}/")).unwrap();
    fails_open(&buckets, "k", 3).await;
    assert_eq!(logs.count("WARN"), 1, "{}", logs.text());

    let _server = RedisServer::start(port);
    assert!(until_answered(&buckets, "k").await.allowed);
    assert!(timed(&buckets, "k").await.0.unwrap().allowed);
    assert!(!timed(&buckets, "k").await.0.unwrap().allowed);
    assert_eq!(logs.count("INFO"), 1, "{}", logs.text());
}

/// A frozen Redis keeps its connections open and answers nothing: each call
/// gives up after the timeout, and once it runs again it is used again.
#[tokio::test]
async fn a_hung_redis_cannot_stall_requests() {
    if !redis_server_installed() {
        return;
    }
    let server = RedisServer::start(free_port());
    let buckets = RedisBuckets::new(&server.url()).unwrap();
    assert!(until_answered(&buckets, "k").await.allowed);

    // Long enough for the connection to be replaced (REPLACE_AFTER, 1 s):
    // the new one cannot even greet a frozen server.
    server.pause();
    for _ in 0..6 {
        let (result, took) = timed(&buckets, "k").await;
        let error = result.expect_err("Redis is frozen");
        assert!(took >= DEFAULT_TIMEOUT && took < FAIL_WITHIN, "{took:?}");
        assert!(error.to_string().contains("did not answer"), "{error}");
    }

    // The calls that gave up may still reach Redis when it runs again (and
    // charge "k"); a fresh bucket shows the state is Redis's again.
    server.resume();
    let again = until_answered(&buckets, "fresh").await;
    assert_eq!((again.allowed, again.remaining), (true, 1));
    assert_eq!(timed(&buckets, "fresh").await.0.unwrap().remaining, 0);
    assert!(!timed(&buckets, "fresh").await.0.unwrap().allowed);
}
