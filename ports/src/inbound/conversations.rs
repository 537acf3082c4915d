//! Conversation use cases of `/api` (§4.5–§4.9): membership, invites,
//! threads and messages, read state, typing and presence.

use async_trait::async_trait;
use sybil_domain::account::{FieldError, User};
use sybil_domain::conversation::model::{Membership, Participant, ThreadMessage, ThreadSummary};
use sybil_domain::conversation::{ConversationRole, PresenceStatus};
use sybil_domain::{Provider, Timestamp};
use uuid::Uuid;

use futures::stream::BoxStream;

use super::LimitVerdict;
use crate::outbound::{MessageChunk, StorageError, StoredEvent};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    /// 404 `RGP.NOT_FOUND`; also what a non-participant gets.
    #[error("{0}")]
    NotFound(&'static str),
    /// 403 `RGP.RBAC.FORBIDDEN`.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 400 `validation_failed`.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// 409 `RGP.CONFLICT`.
    #[error("{0}")]
    Conflict(&'static str),
    /// 410 `RGP.GONE`.
    #[error("{0}")]
    Gone(&'static str),
    /// 400 `RGP.V1.CANCEL_ROLE`.
    #[error("only assistant messages can be cancelled")]
    CancelRole,
    /// 429 `RGP.RATE_LIMITED`: over the posting limit (§7.5).
    #[error("rate limit exceeded")]
    RateLimited(LimitVerdict),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConversation {
    pub title: String,
    pub is_group: bool,
    pub provider: Option<Provider>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationPage {
    pub conversations: Vec<Membership>,
    pub next_cursor: Option<String>,
}

/// A participant with the presence shown at the time of reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownParticipant {
    pub participant: Participant,
    pub status: PresenceStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationDetail {
    pub membership: Membership,
    pub participants: Vec<ShownParticipant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    pub role: ConversationRole,
    pub email: Option<String>,
    pub ttl_seconds: Option<i64>,
}

/// An invite's token, shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvite {
    pub token: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPage {
    pub threads: Vec<ThreadSummary>,
    pub next_after: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePage {
    pub root_id: Uuid,
    pub messages: Vec<ThreadMessage>,
    pub next_cursor: Option<String>,
}

/// A root or a reply as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub content: String,
    /// `user` (the default) or `system`; checked by the use case.
    pub role: Option<String>,
    pub provider: Option<Provider>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub message: ThreadMessage,
    /// The assistant reply started, if one was asked for.
    pub assistant_message_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    Completed,
}

/// What a conversation's stream sends (§6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A recorded event, with its id.
    Event(StoredEvent),
    /// `resync_required`: the follower must reload and reconnect; the
    /// stream ends after it.
    Resync(String),
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ConversationUseCases: Send + Sync {
    async fn create(&self, user: &User, new: NewConversation) -> Result<Uuid, ConversationError>;

    async fn list(
        &self,
        user: &User,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> Result<ConversationPage, ConversationError>;

    async fn detail(
        &self,
        user: &User,
        conversation: Uuid,
    ) -> Result<ConversationDetail, ConversationError>;

    async fn add_participant(
        &self,
        user: &User,
        conversation: Uuid,
        target: Uuid,
        role: ConversationRole,
    ) -> Result<(), ConversationError>;

    async fn remove_participant(
        &self,
        user: &User,
        conversation: Uuid,
        target: Uuid,
    ) -> Result<(), ConversationError>;

    async fn create_invite(
        &self,
        user: &User,
        conversation: Uuid,
        new: NewInvite,
    ) -> Result<IssuedInvite, ConversationError>;

    async fn accept_invite(&self, user: &User, token: &str) -> Result<Uuid, ConversationError>;

    async fn revoke_invite(&self, user: &User, token: &str) -> Result<(), ConversationError>;

    async fn threads(
        &self,
        user: &User,
        conversation: Uuid,
        after: Option<Timestamp>,
        limit: Option<i64>,
    ) -> Result<ThreadPage, ConversationError>;

    async fn unread(
        &self,
        user: &User,
        conversation: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, ConversationError>;

    async fn mark_read(
        &self,
        user: &User,
        root: Uuid,
        path: Option<String>,
    ) -> Result<(), ConversationError>;

    async fn tree(
        &self,
        user: &User,
        root: Uuid,
        cursor_path: Option<String>,
        limit: Option<i64>,
    ) -> Result<TreePage, ConversationError>;

    async fn post_root(
        &self,
        user: &User,
        conversation: Uuid,
        new: NewMessage,
    ) -> Result<Posted, ConversationError>;

    async fn reply(
        &self,
        user: &User,
        parent: Uuid,
        new: NewMessage,
    ) -> Result<Posted, ConversationError>;

    async fn chunks(
        &self,
        user: &User,
        message: Uuid,
        from: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<MessageChunk>, ConversationError>;

    async fn edit(
        &self,
        user: &User,
        message: Uuid,
        content: String,
        reason: Option<String>,
    ) -> Result<(), ConversationError>;

    async fn delete(&self, user: &User, message: Uuid) -> Result<(), ConversationError>;

    async fn restore(&self, user: &User, message: Uuid) -> Result<(), ConversationError>;

    async fn cancel(&self, user: &User, message: Uuid) -> Result<CancelOutcome, ConversationError>;

    async fn typing(
        &self,
        user: &User,
        conversation: Uuid,
        root: Uuid,
        seconds: Option<i64>,
    ) -> Result<(), ConversationError>;

    async fn heartbeat(
        &self,
        user: &User,
        status: Option<PresenceStatus>,
    ) -> Result<(), ConversationError>;

    /// The conversation's events for `user`: those after `cursor` that are
    /// retained, then live ones; without a cursor, only those committed
    /// after this call. Ends after the user's own removal.
    async fn follow(
        &self,
        user: &User,
        conversation: Uuid,
        cursor: Option<u64>,
    ) -> Result<BoxStream<'static, StreamItem>, ConversationError>;
}
