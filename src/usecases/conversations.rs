//! Conversation use cases of `/api` (§4.5–§4.9, §5): every permission of
//! §3.6 is decided here, from the caller's membership, before the store
//! records a change and its events.

mod invites;
mod maintenance;
mod membership;
mod messages;
mod presence;
mod replies;
mod stream;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use sybil_domain::account::User;
use sybil_domain::conversation::ConversationRole;
use sybil_domain::conversation::model::Membership;
use sybil_domain::conversation::permissions::{Action, permits};
use sybil_domain::conversation::presence::PresenceTimes;
use sybil_domain::{Provider, Timestamp};
use sybil_ports::inbound::{ConversationError, RateLimitUseCases};
use sybil_ports::outbound::{Clock, ConversationStore, IdGenerator, TokenSource, Wakeups};
use uuid::Uuid;

pub use replies::ReplyRunner;

/// The conversation settings of the configuration.
#[derive(Debug, Clone)]
pub struct ConversationSettings {
    /// `PRESENCE_AWAY_SECONDS`, `PRESENCE_OFFLINE_SECONDS`.
    pub presence: PresenceTimes,
    /// `ASSISTANT_DEFAULT_PROVIDER` and `ASSISTANT_DEFAULT_MODEL`.
    pub assistant_default: Option<(Provider, String)>,
    /// This process's name: the replies it runs are leased to it.
    pub owner: String,
    /// `SSE_MAX_LAG_EVENTS`: a live follower further behind must resync.
    pub stream_max_lag: u64,
    /// `SSE_RETENTION_SECONDS`: how long events stay for replay.
    pub stream_retention: std::time::Duration,
}

pub struct ConversationDeps {
    pub store: Arc<dyn ConversationStore>,
    pub tokens: Arc<dyn TokenSource>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub replies: Arc<dyn ReplyRunner>,
    pub wakeups: Arc<dyn Wakeups>,
    /// The posting limit (§7.5).
    pub limits: Arc<dyn RateLimitUseCases>,
    pub settings: ConversationSettings,
}

pub struct ConversationService {
    deps: ConversationDeps,
}

const NOT_FOUND: ConversationError = ConversationError::NotFound("conversation not found");

impl ConversationService {
    pub fn new(deps: ConversationDeps) -> ConversationService {
        ConversationService { deps }
    }

    fn now(&self) -> Timestamp {
        self.deps.clock.now()
    }

    /// The caller's membership: unknown and not-a-member are the same 404.
    async fn member_of(
        &self,
        user: &User,
        conversation: Uuid,
        missing: ConversationError,
    ) -> Result<Membership, ConversationError> {
        self.deps
            .store
            .membership(conversation, user.id)
            .await?
            .ok_or(missing)
    }

    /// 403 unless the caller's role (a viewer's for a `read_only` user)
    /// permits `action`.
    fn require(
        user: &User,
        membership: &Membership,
        action: Action,
    ) -> Result<(), ConversationError> {
        if permits(acting_role(user, membership), action) {
            Ok(())
        } else {
            Err(ConversationError::Forbidden(
                "your role in this conversation does not allow this",
            ))
        }
    }
}

/// The role that decides for `user` in `membership`.
fn acting_role(user: &User, membership: &Membership) -> ConversationRole {
    membership.role.effective(user.roles.is_read_only())
}

#[async_trait::async_trait]
impl sybil_ports::inbound::ConversationUseCases for ConversationService {
    async fn create(
        &self,
        user: &User,
        new: sybil_ports::inbound::NewConversation,
    ) -> Result<Uuid, ConversationError> {
        self.create_conversation(user, new).await
    }

    async fn list(
        &self,
        user: &User,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> Result<sybil_ports::inbound::ConversationPage, ConversationError> {
        self.list_conversations(user, cursor, limit).await
    }

    async fn detail(
        &self,
        user: &User,
        conversation: Uuid,
    ) -> Result<sybil_ports::inbound::ConversationDetail, ConversationError> {
        self.conversation_detail(user, conversation).await
    }

    async fn add_participant(
        &self,
        user: &User,
        conversation: Uuid,
        target: Uuid,
        role: ConversationRole,
    ) -> Result<(), ConversationError> {
        self.add(user, conversation, target, role).await
    }

    async fn remove_participant(
        &self,
        user: &User,
        conversation: Uuid,
        target: Uuid,
    ) -> Result<(), ConversationError> {
        self.remove(user, conversation, target).await
    }

    async fn create_invite(
        &self,
        user: &User,
        conversation: Uuid,
        new: sybil_ports::inbound::NewInvite,
    ) -> Result<sybil_ports::inbound::IssuedInvite, ConversationError> {
        self.invite(user, conversation, new).await
    }

    async fn accept_invite(&self, user: &User, token: &str) -> Result<Uuid, ConversationError> {
        self.accept(user, token).await
    }

    async fn revoke_invite(&self, user: &User, token: &str) -> Result<(), ConversationError> {
        self.revoke(user, token).await
    }

    async fn threads(
        &self,
        user: &User,
        conversation: Uuid,
        after: Option<Timestamp>,
        limit: Option<i64>,
    ) -> Result<sybil_ports::inbound::ThreadPage, ConversationError> {
        self.list_threads(user, conversation, after, limit).await
    }

    async fn unread(
        &self,
        user: &User,
        conversation: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, ConversationError> {
        self.unread_counts(user, conversation).await
    }

    async fn mark_read(
        &self,
        user: &User,
        root: Uuid,
        path: Option<String>,
    ) -> Result<(), ConversationError> {
        self.read_thread(user, root, path).await
    }

    async fn tree(
        &self,
        user: &User,
        root: Uuid,
        cursor_path: Option<String>,
        limit: Option<i64>,
    ) -> Result<sybil_ports::inbound::TreePage, ConversationError> {
        self.read_tree(user, root, cursor_path, limit).await
    }

    async fn post_root(
        &self,
        user: &User,
        conversation: Uuid,
        new: sybil_ports::inbound::NewMessage,
    ) -> Result<sybil_ports::inbound::Posted, ConversationError> {
        self.post(user, conversation, None, new, NOT_FOUND).await
    }

    async fn reply(
        &self,
        user: &User,
        parent: Uuid,
        new: sybil_ports::inbound::NewMessage,
    ) -> Result<sybil_ports::inbound::Posted, ConversationError> {
        self.post_reply(user, parent, new).await
    }

    async fn chunks(
        &self,
        user: &User,
        message: Uuid,
        from: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<sybil_ports::outbound::MessageChunk>, ConversationError> {
        self.list_chunks(user, message, from, limit).await
    }

    async fn edit(
        &self,
        user: &User,
        message: Uuid,
        content: String,
        reason: Option<String>,
    ) -> Result<(), ConversationError> {
        self.edit_message(user, message, content, reason).await
    }

    async fn delete(&self, user: &User, message: Uuid) -> Result<(), ConversationError> {
        self.delete_message(user, message).await
    }

    async fn restore(&self, user: &User, message: Uuid) -> Result<(), ConversationError> {
        self.restore_message(user, message).await
    }

    async fn cancel(
        &self,
        user: &User,
        message: Uuid,
    ) -> Result<sybil_ports::inbound::CancelOutcome, ConversationError> {
        self.cancel_reply(user, message).await
    }

    async fn typing(
        &self,
        user: &User,
        conversation: Uuid,
        root: Uuid,
        seconds: Option<i64>,
    ) -> Result<(), ConversationError> {
        self.set_typing(user, conversation, root, seconds).await
    }

    async fn heartbeat(
        &self,
        user: &User,
        status: Option<sybil_domain::conversation::PresenceStatus>,
    ) -> Result<(), ConversationError> {
        self.beat(user, status).await
    }

    async fn follow(
        &self,
        user: &User,
        conversation: Uuid,
        cursor: Option<u64>,
    ) -> Result<
        futures::stream::BoxStream<'static, sybil_ports::inbound::StreamItem>,
        ConversationError,
    > {
        self.follow_conversation(user, conversation, cursor).await
    }
}
