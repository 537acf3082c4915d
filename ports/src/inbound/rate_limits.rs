//! Rate-limit use cases (§4.12, §7): the admin's profiles and assignments,
//! and the decision on each request.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use sybil_domain::rate_limit::{
    Assignment, GcraDecision, Principal, Profile, ProfilePatch, RuleError,
};
use uuid::Uuid;

use crate::outbound::StorageError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// 422 `invalid_profile`.
    #[error(transparent)]
    InvalidProfile(RuleError),
    /// 422 `invalid_assignment`.
    #[error(transparent)]
    InvalidAssignment(RuleError),
    /// 404 `RGP.NOT_FOUND`.
    #[error("{0}")]
    NotFound(&'static str),
    /// 409 `RGP.CONFLICT`: the name is taken.
    #[error("rate limit profile name already in use")]
    NameTaken,
    /// 409 `RGP.CONFLICT`, with how many assignments hold the profile.
    #[error("profile assigned to routes")]
    Assigned(u64),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A bucket's decision, with what the response headers show (§7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitVerdict {
    pub profile: Arc<str>,
    pub burst: u32,
    pub decision: GcraDecision,
}

/// `POST /api/admin/limits/profiles`, as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileInput {
    pub name: String,
    pub algorithm: Option<String>,
    pub params: Option<Map<String, Value>>,
    pub description: Option<String>,
}

/// `POST /api/admin/limits/assignments`, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentInput {
    pub profile_id: Uuid,
    pub method: String,
    pub path: String,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateLimitUseCases: Send + Sync {
    async fn list_profiles(&self) -> Result<Vec<Profile>, RateLimitError>;
    async fn create_profile(&self, input: ProfileInput) -> Result<Profile, RateLimitError>;
    async fn update_profile(
        &self,
        id: Uuid,
        patch: ProfilePatch,
    ) -> Result<Profile, RateLimitError>;
    async fn delete_profile(&self, id: Uuid) -> Result<(), RateLimitError>;
    async fn list_assignments(&self) -> Result<Vec<Assignment>, RateLimitError>;
    /// The assignment, and whether it is new (`false`: re-pointed).
    async fn assign(&self, input: AssignmentInput) -> Result<(Assignment, bool), RateLimitError>;
    async fn unassign(&self, id: Uuid) -> Result<(), RateLimitError>;

    /// Charges the request's bucket, if a rule covers it; `None` when none
    /// does or the shared state is unreachable (admitted unchecked).
    async fn check(&self, method: &str, path: &str, principal: Principal) -> Option<LimitVerdict>;

    /// Charges a post of `user` in `conversation` to the posting limit
    /// (§7.5); `None` while there is none (or it cannot be checked).
    async fn charge_post(&self, user: Uuid, conversation: Uuid) -> Option<LimitVerdict>;
}
