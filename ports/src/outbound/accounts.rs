//! Durable accounts: users, sessions, sign-in states and outside identities.

use async_trait::async_trait;
use sybil_domain::Timestamp;
use sybil_domain::account::{OAuthProvider, Roles, Session, User};
use uuid::Uuid;

use super::StorageError;

/// A session as stored: the digests of its two tokens with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub session: Session,
    pub token_digest: String,
    pub csrf_digest: String,
}

/// Which unique field a new account collides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakenField {
    Email,
    Username,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountWriteError {
    /// The email or the username (regardless of case) belongs to another account.
    #[error("{0:?} is taken")]
    Taken(TakenField),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An admin's change to an account; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    /// `Some(None)` clears the display name.
    pub display_name: Option<Option<String>>,
    pub roles: Option<Roles>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserUpdate {
    Updated(User),
    NotFound,
    /// The change would leave no enabled admin; nothing changed.
    LastAdmin,
}

/// How a first sign-in with an outside identity ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityLink {
    Linked,
    /// The account already has another subject of this provider.
    OtherSubject,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Whether any account exists.
    async fn any_user(&self) -> Result<bool, StorageError>;

    /// Stores the first account; `false` (nothing stored) when any account
    /// exists. Of concurrent calls, one at most succeeds.
    async fn create_first_user(&self, user: &User) -> Result<bool, AccountWriteError>;

    async fn create_user(&self, user: &User) -> Result<(), AccountWriteError>;

    /// Stores a new account linked to `subject` of `provider`, atomically.
    async fn create_user_with_identity(
        &self,
        user: &User,
        provider: OAuthProvider,
        subject: &str,
    ) -> Result<(), AccountWriteError>;

    /// The account with this email, compared without regard to case.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StorageError>;

    /// The account with this username, compared without regard to case.
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StorageError>;

    async fn get_user(&self, id: Uuid) -> Result<Option<User>, StorageError>;

    /// Accounts oldest first, after `(created_at, id)` when given.
    async fn list_users(
        &self,
        after: Option<(Timestamp, Uuid)>,
        limit: u64,
    ) -> Result<Vec<User>, StorageError>;

    /// Applies `change` at `now` (a roles change moves `roles_changed_at`),
    /// refusing one that leaves no enabled admin.
    async fn update_user(
        &self,
        id: Uuid,
        change: &UserChange,
        now: Timestamp,
    ) -> Result<UserUpdate, StorageError>;

    /// Records that the user was seen (a sign-in, a request).
    async fn touch_user(&self, id: Uuid, now: Timestamp) -> Result<(), StorageError>;

    async fn insert_session(&self, session: &StoredSession) -> Result<(), StorageError>;

    /// The session whose token has this digest.
    async fn find_session(&self, token_digest: &str)
    -> Result<Option<StoredSession>, StorageError>;

    async fn get_session(&self, id: Uuid) -> Result<Option<StoredSession>, StorageError>;

    /// Replaces `old` with `new`: `old` keeps authenticating until
    /// `grace_until`. `false` (nothing changed) when `old` was already
    /// rotated or revoked, by a concurrent request say.
    async fn rotate_session(
        &self,
        old: Uuid,
        grace_until: Timestamp,
        new: &StoredSession,
    ) -> Result<bool, StorageError>;

    async fn revoke_sessions(&self, ids: &[Uuid]) -> Result<(), StorageError>;

    async fn insert_oauth_state(
        &self,
        digest: &str,
        provider: OAuthProvider,
        expires_at: Timestamp,
    ) -> Result<(), StorageError>;

    /// Deletes the state; whether it was there, for `provider`, unexpired at `now`.
    async fn consume_oauth_state(
        &self,
        digest: &str,
        provider: OAuthProvider,
        now: Timestamp,
    ) -> Result<bool, StorageError>;

    /// The account linked to `subject` of `provider`.
    async fn find_identity(
        &self,
        provider: OAuthProvider,
        subject: &str,
    ) -> Result<Option<Uuid>, StorageError>;

    async fn link_identity(
        &self,
        user_id: Uuid,
        provider: OAuthProvider,
        subject: &str,
        now: Timestamp,
    ) -> Result<IdentityLink, StorageError>;
}
