//! `AccountStore` over `BoundedStorage`: each call given up after `CALL_TIMEOUT`.

use async_trait::async_trait;
use sybil_domain::Timestamp;
use sybil_domain::account::{OAuthProvider, User};
use sybil_ports::outbound::{
    AccountStore, AccountWriteError, IdentityLink, StorageError, StoredSession, UserChange,
    UserUpdate,
};
use uuid::Uuid;

use crate::BoundedStorage;

#[async_trait]
impl AccountStore for BoundedStorage {
    async fn any_user(&self) -> Result<bool, StorageError> {
        self.inner().bounded(self.inner().any_user()).await
    }

    async fn create_first_user(&self, user: &User) -> Result<bool, AccountWriteError> {
        self.inner()
            .bounded(self.inner().create_first_user(user))
            .await
    }

    async fn create_user(&self, user: &User) -> Result<(), AccountWriteError> {
        self.inner().bounded(self.inner().create_user(user)).await
    }

    async fn create_user_with_identity(
        &self,
        user: &User,
        provider: OAuthProvider,
        subject: &str,
    ) -> Result<(), AccountWriteError> {
        self.inner()
            .bounded(
                self.inner()
                    .create_user_with_identity(user, provider, subject),
            )
            .await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        self.inner()
            .bounded(self.inner().find_user_by_email(email))
            .await
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StorageError> {
        let inner = self.inner();
        inner.bounded(inner.find_user_by_username(username)).await
    }

    async fn get_user(&self, id: Uuid) -> Result<Option<User>, StorageError> {
        self.inner().bounded(self.inner().get_user(id)).await
    }

    async fn list_users(
        &self,
        after: Option<(Timestamp, Uuid)>,
        limit: u64,
    ) -> Result<Vec<User>, StorageError> {
        self.inner()
            .bounded(self.inner().list_users(after, limit))
            .await
    }

    async fn update_user(
        &self,
        id: Uuid,
        change: &UserChange,
        now: Timestamp,
    ) -> Result<UserUpdate, StorageError> {
        self.inner()
            .bounded(self.inner().update_user(id, change, now))
            .await
    }

    async fn touch_user(&self, id: Uuid, now: Timestamp) -> Result<(), StorageError> {
        self.inner().bounded(self.inner().touch_user(id, now)).await
    }

    async fn insert_session(&self, session: &StoredSession) -> Result<(), StorageError> {
        self.inner()
            .bounded(self.inner().insert_session(session))
            .await
    }

    async fn find_session(
        &self,
        token_digest: &str,
    ) -> Result<Option<StoredSession>, StorageError> {
        self.inner()
            .bounded(self.inner().find_session(token_digest))
            .await
    }

    async fn get_session(&self, id: Uuid) -> Result<Option<StoredSession>, StorageError> {
        self.inner().bounded(self.inner().get_session(id)).await
    }

    async fn rotate_session(
        &self,
        old: Uuid,
        grace_until: Timestamp,
        new: &StoredSession,
    ) -> Result<bool, StorageError> {
        self.inner()
            .bounded(self.inner().rotate_session(old, grace_until, new))
            .await
    }

    async fn revoke_sessions(&self, ids: &[Uuid]) -> Result<(), StorageError> {
        self.inner()
            .bounded(self.inner().revoke_sessions(ids))
            .await
    }

    async fn insert_oauth_state(
        &self,
        digest: &str,
        provider: OAuthProvider,
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        self.inner()
            .bounded(
                self.inner()
                    .insert_oauth_state(digest, provider, expires_at),
            )
            .await
    }

    async fn consume_oauth_state(
        &self,
        digest: &str,
        provider: OAuthProvider,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        self.inner()
            .bounded(self.inner().consume_oauth_state(digest, provider, now))
            .await
    }

    async fn find_identity(
        &self,
        provider: OAuthProvider,
        subject: &str,
    ) -> Result<Option<Uuid>, StorageError> {
        self.inner()
            .bounded(self.inner().find_identity(provider, subject))
            .await
    }

    async fn link_identity(
        &self,
        user_id: Uuid,
        provider: OAuthProvider,
        subject: &str,
        now: Timestamp,
    ) -> Result<IdentityLink, StorageError> {
        self.inner()
            .bounded(self.inner().link_identity(user_id, provider, subject, now))
            .await
    }
}
