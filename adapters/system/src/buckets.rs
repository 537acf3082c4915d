//! GCRA buckets in this process's memory (no `REDIS_URL`): each process
//! keeps its own. A bucket that is full again is forgotten, so the map holds
//! only the keys that were used within their refill time.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use sybil_domain::rate_limit::{Gcra, GcraDecision};
use sybil_ports::outbound::{BucketsUnavailable, RateBuckets};

/// Past this many keys, full buckets are swept before a new key is added.
const SWEEP_AT: usize = 4_096;

#[derive(Debug, Default)]
pub struct MemoryBuckets {
    /// Key → theoretical arrival time (µs).
    tats: Mutex<HashMap<String, i64>>,
}

#[async_trait]
impl RateBuckets for MemoryBuckets {
    /// Never unavailable: the state is this process's own.
    async fn decide(
        &self,
        key: &str,
        limit: Gcra,
        now_us: i64,
        consume: bool,
    ) -> Result<GcraDecision, BucketsUnavailable> {
        let mut tats = self.tats.lock().unwrap_or_else(|e| e.into_inner());
        let tat = tats.get(key).copied();
        let decision = if consume {
            limit.decide(tat, now_us)
        } else {
            limit.would_admit(tat, now_us)
        };
        if consume && decision.allowed {
            if tat.is_none() && tats.len() >= SWEEP_AT {
                tats.retain(|_, tat| *tat > now_us);
            }
            tats.insert(key.to_string(), decision.tat_us);
        }
        Ok(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Gcra = Gcra {
        requests_per_second: 1.0,
        burst: 2,
    };

    async fn decide(
        buckets: &MemoryBuckets,
        key: &str,
        now_us: i64,
        consume: bool,
    ) -> GcraDecision {
        buckets
            .decide(key, LIMIT, now_us, consume)
            .await
            .expect("memory buckets are always available")
    }

    #[tokio::test]
    async fn each_key_has_its_own_bucket() {
        let buckets = MemoryBuckets::default();
        assert!(decide(&buckets, "a", 0, true).await.allowed);
        assert!(decide(&buckets, "a", 0, true).await.allowed);
        assert!(!decide(&buckets, "a", 0, true).await.allowed);
        assert!(decide(&buckets, "b", 0, true).await.allowed);
        assert!(decide(&buckets, "a", 1_000_000, true).await.allowed);
    }

    #[tokio::test]
    async fn decisions_match_the_domain_algorithm() {
        let buckets = MemoryBuckets::default();
        let mut tat = None;
        for now in [0, 0, 0, 400_000, 1_000_000, 1_000_001, 5_000_000] {
            let expected = LIMIT.decide(tat, now);
            assert_eq!(decide(&buckets, "a", now, true).await, expected);
            tat = Some(expected.tat_us);
        }
    }

    #[tokio::test]
    async fn looking_without_consuming_changes_nothing() {
        let buckets = MemoryBuckets::default();
        for _ in 0..5 {
            assert!(decide(&buckets, "a", 0, false).await.allowed);
        }
        assert_eq!(decide(&buckets, "a", 0, true).await.remaining, 1);
        let looked = decide(&buckets, "a", 0, false).await;
        assert_eq!(looked, LIMIT.would_admit(Some(1_000_000), 0));
        assert_eq!(decide(&buckets, "a", 0, true).await.remaining, 0);
    }

    #[tokio::test]
    async fn full_buckets_are_swept_when_the_map_grows() {
        let buckets = MemoryBuckets::default();
        for i in 0..SWEEP_AT {
            decide(&buckets, &format!("k{i}"), 0, true).await;
        }
        // Ten seconds later every bucket is full again: one sweep empties them.
        decide(&buckets, "late", 10_000_000, true).await;
        assert_eq!(buckets.tats.lock().unwrap().len(), 1);
    }
}
