//! `REDIS_URL`: checked at construction without Redis, and its password
//! never printed.

use std::time::{Duration, Instant};

use sybil_domain::rate_limit::Gcra;
use sybil_ports::outbound::RateBuckets;
use sybil_redis::{DEFAULT_TIMEOUT, RedisBuckets};

use crate::support::{Logs, Shared, now_us, unique};

const LIMIT: Gcra = Gcra {
    requests_per_second: 1.0,
    burst: 1,
};

/// No runtime, no Redis: only the URL is checked.
#[test]
fn an_invalid_url_is_refused_at_construction() {
    for url in [
        "",
        "127.0.0.1:6379",
        "not a url",
        "http://:s3cret@127.0.0.1:6379/",
        "redis://:s3cret@127.0.0.1:99999/",
        "redis://:s3cret@127.0.0.1:6379/not-a-db",
        "redis://:s3cret@/0",
        "redis://:s3cret@0.0.0.0:6379/",
        // This build has no TLS.
        "rediss://:s3cret@127.0.0.1:6379/",
        "redis://:s3cret@127.0.0.1:6379/?protocol=9",
    ] {
        let error = RedisBuckets::new(url).expect_err(url).to_string();
        assert!(error.starts_with("REDIS_URL is invalid: "), "{error}");
        assert!(!error.contains("s3cret"), "{url}: {error}");
        assert!(!error.contains("127.0.0.1"), "{url}: {error}");
    }
}

#[test]
fn a_valid_url_needs_no_redis_to_construct() {
    for url in [
        "redis://127.0.0.1:6379/",
        "redis://:s3cret@127.0.0.1:1/",
        "redis://user:s3cret@localhost/3",
        " redis://redis.invalid ",
        "valkey://127.0.0.1",
        "unix:///run/redis/redis.sock",
    ] {
        let buckets = RedisBuckets::new(url).expect(url);
        assert!(!format!("{buckets:?}").contains("s3cret"));
    }
    assert_eq!(
        RedisBuckets::new("redis://user:s3cret@localhost/3")
            .unwrap()
            .target(),
        "localhost:6379/3"
    );
}

/// Nothing listens on port 1: every call fails at once, and neither the
/// error, the warning nor `Debug` shows the password (plain or
/// percent-encoded in the URL).
#[tokio::test]
async fn the_password_never_shows_when_redis_is_down() {
    let (logs, _guard) = Logs::capture();
    for url in [
        "redis://:s3cret@127.0.0.1:1/",
        "redis://me:s3%63ret@127.0.0.1:1/",
    ] {
        let buckets = RedisBuckets::new(url).unwrap();
        assert!(!format!("{buckets:?}").contains("s3cret"));
        for _ in 0..3 {
            let started = Instant::now();
            let error = buckets
                .decide("k", LIMIT, now_us(), true)
                .await
                .expect_err("nothing listens on port 1");
            assert!(started.elapsed() < DEFAULT_TIMEOUT + Duration::from_millis(100));
            let text = error.to_string();
            assert!(
                !text.contains("s3cret") && !text.contains("s3%63ret"),
                "{text}"
            );
            assert!(!text.contains("redis://"), "{text}");
        }
    }
    let printed = logs.text();
    assert_eq!(logs.count("WARN"), 2, "{printed}");
    assert!(printed.contains("127.0.0.1:1/0"), "{printed}");
    assert!(
        !printed.contains("s3cret") && !printed.contains("s3%63ret"),
        "{printed}"
    );
}

/// The shared instance has no password (or another one): a handshake with
/// this one fails, the request goes on unchecked, and nothing prints it.
#[tokio::test]
async fn the_password_never_shows_when_redis_refuses_it() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let (logs, _guard) = Logs::capture();
    let mut url = url::Url::parse(&redis.url).unwrap();
    url.set_password(Some("s3cret")).unwrap();
    let buckets = RedisBuckets::new(url.as_str()).unwrap();
    for _ in 0..3 {
        let error = buckets
            .decide(&unique("auth"), LIMIT, now_us(), true)
            .await
            .expect_err("the password is refused");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
    let printed = logs.text();
    assert_eq!(logs.count("WARN"), 1, "{printed}");
    assert!(!printed.contains("s3cret"), "{printed}");
}
