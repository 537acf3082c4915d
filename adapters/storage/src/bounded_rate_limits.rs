//! `RateLimitStore` over `BoundedStorage`: each call given up after `CALL_TIMEOUT`.

use async_trait::async_trait;
use sybil_domain::rate_limit::{Assignment, Profile};
use sybil_ports::outbound::{
    Assigned, NewAssignment, ProfileDeletion, RateLimitStore, StorageError,
};
use uuid::Uuid;

use crate::BoundedStorage;

#[async_trait]
impl RateLimitStore for BoundedStorage {
    async fn profiles(&self) -> Result<Vec<Profile>, StorageError> {
        let s = self.inner();
        s.bounded(s.profiles()).await
    }

    async fn profile(&self, id: Uuid) -> Result<Option<Profile>, StorageError> {
        let s = self.inner();
        s.bounded(s.profile(id)).await
    }

    async fn create_profile(&self, profile: &Profile) -> Result<bool, StorageError> {
        let s = self.inner();
        s.bounded(s.create_profile(profile)).await
    }

    async fn update_profile(&self, profile: &Profile) -> Result<bool, StorageError> {
        let s = self.inner();
        s.bounded(s.update_profile(profile)).await
    }

    async fn delete_profile(&self, id: Uuid) -> Result<ProfileDeletion, StorageError> {
        let s = self.inner();
        s.bounded(s.delete_profile(id)).await
    }

    async fn assignments(&self) -> Result<Vec<Assignment>, StorageError> {
        let s = self.inner();
        s.bounded(s.assignments()).await
    }

    async fn assign(&self, new: &NewAssignment) -> Result<Assigned, StorageError> {
        let s = self.inner();
        s.bounded(s.assign(new)).await
    }

    async fn unassign(&self, id: Uuid) -> Result<bool, StorageError> {
        let s = self.inner();
        s.bounded(s.unassign(id)).await
    }
}
