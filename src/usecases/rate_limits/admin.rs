//! The admin's changes (§4.12): each is checked by the domain's rules,
//! stored, and applied to this process's table before the answer.

use sybil_domain::rate_limit::Assignment;
use sybil_domain::rate_limit::{NewProfile, PathPattern, Profile, ProfilePatch, method};
use sybil_ports::inbound::{AssignmentInput, ProfileInput, RateLimitError};
use sybil_ports::outbound::{Assigned, NewAssignment, ProfileDeletion};
use uuid::Uuid;

use super::RateLimitService;

const NO_PROFILE: RateLimitError = RateLimitError::NotFound("rate limit profile not found");
const NO_ASSIGNMENT: RateLimitError = RateLimitError::NotFound("rate limit assignment not found");

impl RateLimitService {
    /// After a stored change: this process applies it now. A failed reload
    /// is not the caller's failure (the change is stored, and the follower
    /// retries), so it is only logged.
    async fn apply(&self) {
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "reloading the rate-limit profiles failed");
        }
    }

    pub(super) async fn create(&self, input: ProfileInput) -> Result<Profile, RateLimitError> {
        let new = NewProfile::check(
            &input.name,
            input.algorithm.as_deref(),
            input.params.as_ref(),
            input.description.as_deref(),
        )
        .map_err(RateLimitError::InvalidProfile)?;
        let now = self.deps.clock.now();
        let profile = Profile {
            id: self.deps.ids.new_id(),
            name: new.name,
            params: new.params,
            description: new.description,
            created_at: now,
            updated_at: now,
        };
        if !self.deps.store.create_profile(&profile).await? {
            return Err(RateLimitError::NameTaken);
        }
        self.apply().await;
        Ok(profile)
    }

    pub(super) async fn update(
        &self,
        id: Uuid,
        patch: ProfilePatch,
    ) -> Result<Profile, RateLimitError> {
        let stored = self.deps.store.profile(id).await?.ok_or(NO_PROFILE)?;
        let profile = stored
            .patched(&patch, self.deps.clock.now())
            .map_err(RateLimitError::InvalidProfile)?;
        if !self.deps.store.update_profile(&profile).await? {
            return Err(NO_PROFILE);
        }
        self.apply().await;
        Ok(profile)
    }

    pub(super) async fn delete(&self, id: Uuid) -> Result<(), RateLimitError> {
        match self.deps.store.delete_profile(id).await? {
            ProfileDeletion::Deleted => {
                self.apply().await;
                Ok(())
            }
            ProfileDeletion::NotFound => Err(NO_PROFILE),
            ProfileDeletion::Assigned(n) => Err(RateLimitError::Assigned(n)),
        }
    }

    pub(super) async fn put_assignment(
        &self,
        input: AssignmentInput,
    ) -> Result<(Assignment, bool), RateLimitError> {
        let method = method(&input.method).map_err(RateLimitError::InvalidAssignment)?;
        let pattern = PathPattern::parse(&input.path).map_err(RateLimitError::InvalidAssignment)?;
        let new = NewAssignment {
            id: self.deps.ids.new_id(),
            profile_id: input.profile_id,
            method,
            pattern,
            now: self.deps.clock.now(),
        };
        let (assignment, created) = match self.deps.store.assign(&new).await? {
            Assigned::Created(a) => (a, true),
            Assigned::Repointed(a) => (a, false),
            Assigned::NoProfile => return Err(NO_PROFILE),
        };
        self.apply().await;
        Ok((assignment, created))
    }

    pub(super) async fn remove_assignment(&self, id: Uuid) -> Result<(), RateLimitError> {
        if !self.deps.store.unassign(id).await? {
            return Err(NO_ASSIGNMENT);
        }
        self.apply().await;
        Ok(())
    }
}
