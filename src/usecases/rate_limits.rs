//! Rate limits (§4.12, §7): the admin's profiles and assignments, and the
//! decision on each request. Each process holds the profiles and
//! assignments as one table, rebuilt at once after a change it made and
//! within a second of a change made elsewhere (the storage's wake-up);
//! the buckets themselves live in this process or in Redis.

mod admin;
#[cfg(test)]
mod tests;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use sybil_domain::rate_limit::{
    Assignment, LimitTable, Principal, Profile, ProfilePatch, Rule, posting_key,
};
use sybil_ports::inbound::{
    AssignmentInput, LimitVerdict, ProfileInput, RateLimitError, RateLimitUseCases,
};
use sybil_ports::outbound::{
    Clock, IdGenerator, RateBuckets, RateLimitStore, StorageError, Topic, Wakeups,
};
use uuid::Uuid;

/// How long a failed reload waits before the next attempt.
const RELOAD_RETRY: Duration = Duration::from_secs(1);

pub struct RateLimitDeps {
    pub store: Arc<dyn RateLimitStore>,
    pub buckets: Arc<dyn RateBuckets>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub wakeups: Arc<dyn Wakeups>,
    /// `RATE_LIMIT_PER_MINUTE`: the built-in `default` profile (`0`: none).
    pub per_minute: u32,
}

pub struct RateLimitService {
    deps: RateLimitDeps,
    table: RwLock<Arc<LimitTable>>,
}

impl RateLimitService {
    /// A service whose table holds only the built-in profile until the
    /// first [`reload`](Self::reload).
    pub fn new(deps: RateLimitDeps) -> RateLimitService {
        let table = LimitTable::new(&[], &[], deps.per_minute);
        RateLimitService {
            deps,
            table: RwLock::new(Arc::new(table)),
        }
    }

    fn table(&self) -> Arc<LimitTable> {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the profiles and assignments again and swaps the table.
    pub async fn reload(&self) -> Result<(), StorageError> {
        let profiles = self.deps.store.profiles().await?;
        let assignments = self.deps.store.assignments().await?;
        let table = LimitTable::new(&profiles, &assignments, self.deps.per_minute);
        *self.table.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
        Ok(())
    }

    /// Loads the table, then follows the changes made by any process until
    /// the process ends: each wake-up reloads it (a failed reload is
    /// retried). Subscribed before the first load, so no change is missed.
    pub async fn start_following(self: &Arc<Self>) -> Result<(), StorageError> {
        let mut changed = self.deps.wakeups.subscribe(Topic::RateLimits);
        self.reload().await?;
        let service = self.clone();
        tokio::spawn(async move {
            loop {
                changed.woken().await;
                while let Err(e) = service.reload().await {
                    tracing::warn!(error = %e, "reloading the rate-limit profiles failed");
                    tokio::time::sleep(RELOAD_RETRY).await;
                }
            }
        });
        Ok(())
    }

    /// Charges `key` under `rule`; `None` when the buckets cannot be reached.
    async fn charge(&self, rule: &Rule, key: &str) -> Option<LimitVerdict> {
        let now_us = self.deps.clock.now().0.saturating_mul(1_000);
        let decided = self
            .deps
            .buckets
            .decide(key, rule.limit, now_us, true)
            .await;
        let result = match &decided {
            Ok(d) if d.allowed => "allowed",
            Ok(_) => "limited",
            Err(_) => "unchecked",
        };
        sybil_metrics::record_rate_limit(&rule.profile, &rule.scope, result);
        let decision = decided.ok()?;
        Some(LimitVerdict {
            profile: rule.profile.clone(),
            burst: rule.limit.burst,
            decision,
        })
    }
}

#[async_trait]
impl RateLimitUseCases for RateLimitService {
    async fn list_profiles(&self) -> Result<Vec<Profile>, RateLimitError> {
        Ok(self.deps.store.profiles().await?)
    }

    async fn create_profile(&self, input: ProfileInput) -> Result<Profile, RateLimitError> {
        self.create(input).await
    }

    async fn update_profile(
        &self,
        id: Uuid,
        patch: ProfilePatch,
    ) -> Result<Profile, RateLimitError> {
        self.update(id, patch).await
    }

    async fn delete_profile(&self, id: Uuid) -> Result<(), RateLimitError> {
        self.delete(id).await
    }

    async fn list_assignments(&self) -> Result<Vec<Assignment>, RateLimitError> {
        Ok(self.deps.store.assignments().await?)
    }

    async fn assign(&self, input: AssignmentInput) -> Result<(Assignment, bool), RateLimitError> {
        self.put_assignment(input).await
    }

    async fn unassign(&self, id: Uuid) -> Result<(), RateLimitError> {
        self.remove_assignment(id).await
    }

    async fn check(&self, method: &str, path: &str, principal: Principal) -> Option<LimitVerdict> {
        let table = self.table();
        let rule = table.rule_for(method, path)?;
        self.charge(rule, &principal.bucket_key(&rule.bucket)).await
    }

    async fn charge_post(&self, user: Uuid, conversation: Uuid) -> Option<LimitVerdict> {
        let table = self.table();
        let rule = table.posting()?;
        self.charge(rule, &posting_key(&rule.bucket, user, conversation))
            .await
    }
}
