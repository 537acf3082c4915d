//! Rate limits: the profiles and assignments an admin edits (stored), and
//! the buckets they fill (in this process, or in Redis for the fleet).

use async_trait::async_trait;
use sybil_domain::Timestamp;
use sybil_domain::rate_limit::{Assignment, Gcra, GcraDecision, PathPattern, Profile};
use uuid::Uuid;

use super::StorageError;

/// The shared bucket state cannot be reached: the caller admits the
/// request unchecked (§7.4).
#[derive(Debug, Clone, thiserror::Error)]
#[error("rate-limit state unavailable: {0}")]
pub struct BucketsUnavailable(pub String);

/// Keyed GCRA buckets.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateBuckets: Send + Sync {
    /// Decides a request at `now_us` on bucket `key` in one atomic step;
    /// with `consume` an admitted request is charged, without it nothing
    /// changes. A bucket is forgotten once it is full again.
    async fn decide(
        &self,
        key: &str,
        limit: Gcra,
        now_us: i64,
        consume: bool,
    ) -> Result<GcraDecision, BucketsUnavailable>;
}

/// An assignment to store: replaces the profile of an existing one with
/// the same method and pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignment {
    pub id: Uuid,
    pub profile_id: Uuid,
    pub method: String,
    pub pattern: PathPattern,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Assigned {
    Created(Assignment),
    /// An assignment of that method and pattern now points at the profile.
    Repointed(Assignment),
    NoProfile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileDeletion {
    Deleted,
    NotFound,
    /// Still assigned to this many routes; nothing deleted.
    Assigned(u64),
}

/// Every write wakes `Topic::RateLimits` on every process once committed.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Every profile, by name.
    async fn profiles(&self) -> Result<Vec<Profile>, StorageError>;
    async fn profile(&self, id: Uuid) -> Result<Option<Profile>, StorageError>;
    /// `false` when the name is taken (regardless of case).
    async fn create_profile(&self, profile: &Profile) -> Result<bool, StorageError>;
    /// Stores new params, description and `updated_at`; `false` when gone.
    async fn update_profile(&self, profile: &Profile) -> Result<bool, StorageError>;
    async fn delete_profile(&self, id: Uuid) -> Result<ProfileDeletion, StorageError>;
    /// Every assignment with its profile's name, by method then pattern.
    async fn assignments(&self) -> Result<Vec<Assignment>, StorageError>;
    async fn assign(&self, new: &NewAssignment) -> Result<Assigned, StorageError>;
    /// `false` when there was no such assignment.
    async fn unassign(&self, id: Uuid) -> Result<bool, StorageError>;
}
