//! The algorithm in Redis, on the shared instance: each test uses keys of
//! its own, so they run in parallel.

use std::time::Duration;

use sybil_domain::rate_limit::{Gcra, GcraDecision};
use sybil_ports::outbound::RateBuckets;
use sybil_redis::{KEY_PREFIX, RedisBuckets};
use sybil_system::MemoryBuckets;

use crate::support::{S, Shared, now_us, unique};

async fn decide(
    buckets: &impl RateBuckets,
    key: &str,
    limit: Gcra,
    now: i64,
    consume: bool,
) -> GcraDecision {
    buckets
        .decide(key, limit, now, consume)
        .await
        .expect("Redis answers")
}

fn gcra(requests_per_second: f64, burst: u32) -> Gcra {
    Gcra {
        requests_per_second,
        burst,
    }
}

#[tokio::test]
async fn a_fresh_bucket_admits_its_burst_then_refuses() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    let (key, limit, t0) = (unique("burst"), gcra(1.0, 3), now_us());
    for left in [2, 1, 0] {
        let d = decide(&buckets, &key, limit, t0, true).await;
        assert!(d.allowed);
        assert_eq!(d.remaining, left);
    }
    let refused = decide(&buckets, &key, limit, t0 + S / 2, true).await;
    assert!(!refused.allowed);
    assert_eq!((refused.remaining, refused.retry_after_seconds), (0, 1));
    // One interval after the burst, one more.
    assert!(decide(&buckets, &key, limit, t0 + S, true).await.allowed);
    assert!(!decide(&buckets, &key, limit, t0 + S, true).await.allowed);
}

#[tokio::test]
async fn a_refusal_changes_nothing() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    let (key, limit, t0) = (unique("refusal"), gcra(0.5, 1), now_us());
    let admitted = decide(&buckets, &key, limit, t0, true).await;
    let stored = redis.get(&key).await;
    assert_eq!(stored, Some(admitted.tat_us.to_string()));
    let ttl = redis.pttl(&key).await;
    for late in [0, 1, S / 2, S, 2 * S - 1] {
        let refused = decide(&buckets, &key, limit, t0 + late, true).await;
        assert!(!refused.allowed);
        assert_eq!(refused.tat_us, admitted.tat_us);
    }
    assert_eq!(redis.get(&key).await, stored);
    // Nor is the expiry pushed back.
    assert!(redis.pttl(&key).await <= ttl);
    assert!(
        decide(&buckets, &key, limit, t0 + 2 * S, true)
            .await
            .allowed
    );
}

/// The same sequence of requests through `MemoryBuckets` and `RedisBuckets`
/// gives the same decisions, headers included: both feed the stored TAT to
/// `Gcra::decide`, and the script admits exactly when it does.
#[tokio::test]
async fn decisions_equal_the_in_memory_ones() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    // Intervals of 100 ms and more: simulated time runs ahead of the real
    // clock that expires the keys, never behind it by a whole interval.
    let limits = [
        gcra(1.0, 3),
        gcra(10.0 / 60.0, 10),
        gcra(0.5, 1),
        gcra(10.0, 5),
        gcra(3.0, 2),
        gcra(0.3, 4),
    ];
    let steps: &[(i64, bool)] = &[
        (0, true),
        (0, false),
        (0, true),
        (0, true),
        (0, true),
        (0, true),
        (1, true),
        (S / 10 - 1, true),
        (S / 10, true),
        (S / 3, false),
        (S / 3, true),
        (S / 2, true),
        (S - 1, true),
        (S, false),
        (S, true),
        (S, true),
        (2 * S + S / 2, true),
        (6 * S, true),
        (6 * S, true),
        (6 * S + 1, false),
        (7 * S, true),
        (60 * S, true),
        (60 * S, true),
        (61 * S, false),
    ];
    for limit in limits {
        let memory = MemoryBuckets::default();
        let key = unique("same");
        let t0 = now_us();
        for &(at, consume) in steps {
            let expected = decide(&memory, &key, limit, t0 + at, consume).await;
            let got = decide(&buckets, &key, limit, t0 + at, consume).await;
            assert_eq!(got, expected, "{limit:?} at +{at} µs, consume {consume}");
        }
    }
}

#[tokio::test]
async fn keys_expire_once_the_bucket_is_full_again() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    let (key, limit, t0) = (unique("ttl"), gcra(2.0, 4), now_us());
    let mut last = None;
    for _ in 0..3 {
        last = Some(decide(&buckets, &key, limit, t0, true).await);
    }
    let full_in_ms = (last.unwrap().tat_us - t0 + 999) / 1000;
    assert_eq!(full_in_ms, 1_500);
    let ttl = redis.pttl(&key).await;
    assert!(ttl > 0 && ttl <= full_in_ms, "PTTL {ttl} ms");

    // A bucket that refills in 50 ms is gone soon after.
    let (short, limit) = (unique("short"), gcra(20.0, 1));
    decide(&buckets, &short, limit, now_us(), true).await;
    let ttl = redis.pttl(&short).await;
    assert!(ttl > 0 && ttl <= 50, "PTTL {ttl} ms");
    let mut gone = false;
    for _ in 0..200 {
        if redis.get(&short).await.is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(gone, "the key outlived its bucket");
}

/// Two replicas, each with its own `RedisBuckets`, draw from one bucket.
#[tokio::test]
async fn two_instances_share_one_bucket() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let (a, b) = (redis.buckets(), redis.buckets());
    let (key, limit, t0) = (unique("shared"), gcra(1.0, 3), now_us());
    assert_eq!(decide(&a, &key, limit, t0, true).await.remaining, 2);
    assert_eq!(decide(&b, &key, limit, t0, true).await.remaining, 1);
    assert_eq!(decide(&a, &key, limit, t0, true).await.remaining, 0);
    assert!(!decide(&b, &key, limit, t0, true).await.allowed);
    assert!(!decide(&a, &key, limit, t0, true).await.allowed);
    // A look from either sees the same state.
    assert_eq!(
        decide(&a, &key, limit, t0, false).await,
        decide(&b, &key, limit, t0, false).await
    );
}

#[tokio::test]
async fn looking_without_consuming_changes_nothing() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    let (key, limit, t0) = (unique("look"), gcra(1.0, 2), now_us());
    for _ in 0..5 {
        let d = decide(&buckets, &key, limit, t0, false).await;
        assert_eq!(d, limit.would_admit(None, t0));
    }
    assert_eq!(redis.get(&key).await, None);

    let first = decide(&buckets, &key, limit, t0, true).await;
    let stored = redis.get(&key).await;
    for _ in 0..5 {
        let d = decide(&buckets, &key, limit, t0, false).await;
        assert!(d.allowed);
        assert_eq!(d, limit.would_admit(Some(first.tat_us), t0));
    }
    assert_eq!(redis.get(&key).await, stored);
    assert_eq!(decide(&buckets, &key, limit, t0, true).await.remaining, 0);
}

#[tokio::test]
async fn buckets_are_stored_under_the_prefix_as_whole_microseconds() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    let (key, limit, t0) = (unique("prefix"), gcra(1.0, 1), now_us());
    decide(&buckets, &key, limit, t0, true).await;
    // About 1.7e15: Lua's tostring would print "1.7e+15".
    assert_eq!(redis.get(&key).await, Some((t0 + S).to_string()));
    assert!(redis.exists_raw(&format!("{KEY_PREFIX}{key}")).await);
    assert!(!redis.exists_raw(&key).await);
}

/// A value the script did not write is no bucket (or, a number, a bucket
/// long full), for the script and for the look alike.
#[tokio::test]
async fn a_foreign_value_counts_as_a_new_bucket() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets = redis.buckets();
    let limit = gcra(1.0, 2);
    let foreign = [
        ("junk", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("1e300", None),
        ("", None),
        ("12.5", Some(12)),
    ];
    for (junk, read) in foreign {
        let (key, t0) = (unique("junk"), now_us());
        redis.set(&key, junk).await;
        assert_eq!(
            decide(&buckets, &key, limit, t0, false).await,
            limit.would_admit(read, t0),
            "{junk:?}"
        );
        assert_eq!(
            decide(&buckets, &key, limit, t0, true).await,
            limit.decide(None, t0),
            "{junk:?}"
        );
        assert_eq!(redis.get(&key).await, Some((t0 + S).to_string()));
    }
    // A fraction in the future counts, rounded down, for both.
    let (key, t0, limit) = (unique("fraction"), now_us(), gcra(1.0, 1));
    redis.set(&key, &format!("{}.7", t0 + S / 2)).await;
    let look = decide(&buckets, &key, limit, t0, false).await;
    assert!(!look.allowed);
    assert_eq!(look, limit.would_admit(Some(t0 + S / 2), t0));
    let refused = decide(&buckets, &key, limit, t0, true).await;
    assert_eq!(refused, limit.decide(Some(t0 + S / 2), t0));
}

#[tokio::test]
async fn separate_keys_are_separate_buckets() {
    let Some(redis) = Shared::connect().await else {
        return;
    };
    let buckets: RedisBuckets = redis.buckets();
    let (a, b, limit, t0) = (unique("a"), unique("b"), gcra(1.0, 1), now_us());
    assert!(decide(&buckets, &a, limit, t0, true).await.allowed);
    assert!(!decide(&buckets, &a, limit, t0, true).await.allowed);
    assert!(decide(&buckets, &b, limit, t0, true).await.allowed);
}
