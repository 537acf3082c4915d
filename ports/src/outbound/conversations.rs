//! Durable shared conversations: membership, invites, threads of messages,
//! read marks, typing and presence, and the events that the live stream
//! sends. Every change records its events in its own transaction, in the
//! order of §6.3, so a committed change is never missing from the stream
//! and a rolled-back one never appears in it.

use async_trait::async_trait;
use sybil_domain::conversation::model::{
    Conversation, Membership, Participant, PresenceSeen, ReplyError, ReplyStatus, ThreadMessage,
    ThreadSummary,
};
use sybil_domain::conversation::presence::PresenceTimes;
use sybil_domain::conversation::{ConversationRole, Invite, MessagePath, PresenceStatus};
use sybil_domain::{Provider, Timestamp, Usage};
use uuid::Uuid;

use super::StorageError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipAction {
    Added,
    RoleUpdated,
    Removed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    Edited,
    Deleted,
    Restored,
}

/// How a reply ended, as `message.done` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Length,
    Cancelled,
    Error,
}

/// One event of a conversation's stream (§6.2); the conversation is the
/// one it is recorded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationEvent {
    ThreadNew {
        summary: ThreadSummary,
    },
    ThreadActivity {
        root_id: Uuid,
        last_activity_at: Timestamp,
    },
    MessageDelta {
        message_id: Uuid,
        root_id: Uuid,
        parent_id: Uuid,
        depth: u32,
        idx: u64,
        content: String,
    },
    MessageDone {
        message_id: Uuid,
        root_id: Uuid,
        finish_reason: FinishReason,
        usage: Option<Usage>,
    },
    MessageUpdated {
        action: MessageAction,
        message: ThreadMessage,
    },
    PresenceUpdate {
        user_id: Uuid,
        status: PresenceStatus,
        last_seen_at: Option<Timestamp>,
    },
    TypingUpdate {
        root_id: Uuid,
        user_id: Uuid,
        expires_at: Timestamp,
    },
    /// For `user_id` only.
    UnreadUpdate {
        user_id: Uuid,
        root_id: Uuid,
        unread: u64,
    },
    MembershipChanged {
        user_id: Uuid,
        /// The new role; the prior one for `Removed`.
        role: ConversationRole,
        action: MembershipAction,
    },
    Error {
        code: String,
        message: String,
        message_id: Option<Uuid>,
    },
}

impl ConversationEvent {
    /// The only user who receives it, if one.
    pub fn recipient(&self) -> Option<Uuid> {
        match self {
            ConversationEvent::UnreadUpdate { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    /// The user who does not receive it, if one.
    pub fn excluded(&self) -> Option<Uuid> {
        match self {
            ConversationEvent::TypingUpdate { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    /// The message whose text it carries (blanked in a replay while deleted).
    pub fn message_id(&self) -> Option<Uuid> {
        match self {
            ConversationEvent::MessageDelta { message_id, .. }
            | ConversationEvent::MessageUpdated {
                message: ThreadMessage { id: message_id, .. },
                ..
            } => Some(*message_id),
            ConversationEvent::ThreadNew { summary } => Some(summary.root_id),
            _ => None,
        }
    }
}

/// A stored invite: the token only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvite {
    pub invite: Invite,
    pub token_digest: String,
    pub created_by: Uuid,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetRoleOutcome {
    /// Already active with that role: nothing changed, no event.
    Unchanged,
    Added,
    RoleUpdated,
    /// The change would leave no active owner; nothing changed.
    LastOwner,
    UserNotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveOutcome {
    Removed,
    NotParticipant,
    LastOwner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptOutcome {
    Joined,
    /// The invite changed since it was read (accepted, revoked) or the user
    /// joined meanwhile: nothing changed; read it again.
    Raced,
}

/// A user's post, checked by the use case; the store numbers it, places
/// it in its thread and dates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// `None` for a root.
    pub parent: Option<ThreadMessage>,
    pub author: Uuid,
    pub system: bool,
    pub content: String,
    pub now: Timestamp,
}

/// An assistant reply to `parent`, created `streaming` and leased to the
/// process `owner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReply {
    pub id: Uuid,
    pub parent: ThreadMessage,
    pub model: Option<(Provider, String)>,
    pub owner: String,
    pub now: Timestamp,
}

/// How a reply ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEnd {
    pub status: ReplyStatus,
    pub finish_reason: FinishReason,
    pub error: Option<ReplyError>,
    pub usage: Option<Usage>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    Edited,
    /// 409 "message deleted".
    Deleted,
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Changed,
    /// Already in the asked state: nothing changed.
    Unchanged,
    /// A reply still streaming cannot be deleted.
    Streaming,
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageChunk {
    pub message_id: Uuid,
    pub idx: u64,
    pub content: String,
    pub created_at: Timestamp,
}

/// A recorded event as a follower reads it: `data` is the frame's JSON,
/// the text of a message deleted since blanked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: u64,
    pub kind: String,
    pub data: String,
}

/// A follower's read: its events, and where the conversation's ids stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBatch {
    /// The events after the cursor that the user may receive, by id.
    pub events: Vec<StoredEvent>,
    /// The conversation's newest event id (of any recipient).
    pub newest: u64,
    /// The oldest id retention kept, if any event is kept.
    pub oldest: Option<u64>,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Stores a conversation with `created_by` as its owner (no event).
    async fn create_conversation(&self, conversation: &Conversation) -> Result<(), StorageError>;

    /// The user's active memberships, by `last_activity_at` then `id`,
    /// descending, after `(last_activity_at, id)` when given.
    async fn memberships(
        &self,
        user: Uuid,
        after: Option<(Timestamp, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Membership>, StorageError>;

    /// The conversation as `user` sees it, if `user` is an active participant.
    async fn membership(
        &self,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Option<Membership>, StorageError>;

    /// Active participants by `joined_at`.
    async fn participants(&self, conversation: Uuid) -> Result<Vec<Participant>, StorageError>;

    /// Makes `user` an active participant with `role` at `now`; events:
    /// `membership.changed`, then `presence.update` with `presence`.
    async fn set_role(
        &self,
        conversation: Uuid,
        user: Uuid,
        role: ConversationRole,
        now: Timestamp,
        presence: PresenceSeen,
    ) -> Result<SetRoleOutcome, StorageError>;

    /// Ends `user`'s membership; event `membership.changed` (`removed`).
    async fn remove_participant(
        &self,
        conversation: Uuid,
        user: Uuid,
        now: Timestamp,
    ) -> Result<RemoveOutcome, StorageError>;

    async fn create_invite(&self, invite: &StoredInvite) -> Result<(), StorageError>;

    async fn find_invite(&self, token_digest: &str) -> Result<Option<Invite>, StorageError>;

    /// Joins `user` through an unused, unrevoked invite, as `set_role`
    /// would, and records who accepted it.
    async fn accept_invite(
        &self,
        invite: &Invite,
        user: Uuid,
        now: Timestamp,
        presence: PresenceSeen,
    ) -> Result<AcceptOutcome, StorageError>;

    /// Revokes an invite not yet revoked, accepted or expired at `now`.
    async fn revoke_invite(&self, invite: Uuid, now: Timestamp) -> Result<(), StorageError>;

    async fn message(&self, id: Uuid) -> Result<Option<ThreadMessage>, StorageError>;

    /// The messages from the thread's root down to `message`'s parent, in order.
    async fn ancestry(&self, message: &ThreadMessage) -> Result<Vec<ThreadMessage>, StorageError>;

    /// The message of the thread of `root` at `path`.
    async fn message_at(
        &self,
        root: Uuid,
        path: &MessagePath,
    ) -> Result<Option<ThreadMessage>, StorageError>;

    /// Records a post: the next number of its conversation, a time after
    /// the newest message, the thread's activity, the author seen online,
    /// typing there ended; events as §6.3 says of a root or a reply.
    async fn post(
        &self,
        post: NewPost,
        times: PresenceTimes,
    ) -> Result<ThreadMessage, StorageError>;

    /// Creates a reply `streaming`; events `thread.activity`, then
    /// `unread.update` to each participant.
    async fn start_reply(&self, reply: NewReply) -> Result<ThreadMessage, StorageError>;

    /// Appends a piece of a streaming reply's text as chunk `idx`; event
    /// `message.delta`. `false` (nothing stored) once the reply has ended,
    /// by another process say.
    async fn append_reply_text(
        &self,
        reply: &ThreadMessage,
        idx: u64,
        text: &str,
        now: Timestamp,
    ) -> Result<bool, StorageError>;

    /// Ends a streaming reply; events `message.done`, then `error` when it
    /// failed. `false` when it had already ended.
    async fn finish_reply(
        &self,
        reply: &ThreadMessage,
        end: ReplyEnd,
    ) -> Result<bool, StorageError>;

    /// A thread's messages whose path is after `after` (all from the root
    /// when `None`), in path order.
    async fn thread_messages(
        &self,
        root: &ThreadMessage,
        after: Option<MessagePath>,
        limit: u64,
    ) -> Result<Vec<ThreadMessage>, StorageError>;

    /// The conversation's threads by `last_activity_at` descending, those
    /// before `before` when given.
    async fn threads(
        &self,
        conversation: Uuid,
        before: Option<Timestamp>,
        limit: u64,
    ) -> Result<Vec<ThreadSummary>, StorageError>;

    /// `user`'s unread counts of the conversation's threads that have any,
    /// by `last_activity_at` descending.
    async fn unread(
        &self,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, StorageError>;

    /// Moves `user`'s read mark of the thread of `root` to the message
    /// numbered `upto` (the newest when `None`), never back; event
    /// `unread.update`.
    async fn mark_read(
        &self,
        root: &ThreadMessage,
        user: Uuid,
        upto: Option<u64>,
        now: Timestamp,
    ) -> Result<(), StorageError>;

    /// Replaces a message's text; event `message.updated` (`edited`).
    async fn edit_message(
        &self,
        id: Uuid,
        content: &str,
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<EditOutcome, StorageError>;

    /// Deletes (`by` set) or restores (`None`) a message; events
    /// `message.updated`, then `unread.update` to each participant whose
    /// count changed.
    async fn set_deleted(
        &self,
        id: Uuid,
        by: Option<Uuid>,
        now: Timestamp,
    ) -> Result<DeleteOutcome, StorageError>;

    /// An assistant reply's chunks with `idx >= from`, by `idx`.
    async fn chunks(
        &self,
        message: Uuid,
        from: u64,
        limit: u64,
    ) -> Result<Vec<MessageChunk>, StorageError>;

    /// Sets `user`'s typing state in the thread of `root` until
    /// `expires_at`; event `typing.update` to the others.
    async fn set_typing(
        &self,
        conversation: Uuid,
        root: Uuid,
        user: Uuid,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StorageError>;

    /// Renews the leases of the streaming replies `owner` runs.
    async fn renew_reply_leases(&self, owner: &str, now: Timestamp) -> Result<(), StorageError>;

    /// Streaming replies whose lease was last renewed before `before`: their
    /// process died.
    async fn abandoned_replies(
        &self,
        before: Timestamp,
    ) -> Result<Vec<ThreadMessage>, StorageError>;

    /// Announces the presence changes that time alone made (online to away
    /// to offline) and no event has told yet: `presence.update` in each of
    /// the user's conversations, once, whichever process sees it first.
    async fn announce_presence(
        &self,
        now: Timestamp,
        times: PresenceTimes,
    ) -> Result<(), StorageError>;

    /// The events of `conversation` after `after` that `user` may receive
    /// (at most `limit`), read at one instant with the newest id.
    async fn events_for(
        &self,
        conversation: Uuid,
        user: Uuid,
        after: u64,
        limit: u64,
    ) -> Result<EventBatch, StorageError>;

    /// Removes the events recorded before `before` (retention).
    async fn delete_events_before(&self, before: Timestamp) -> Result<u64, StorageError>;

    /// The user's presence as last set.
    async fn presence(&self, user: Uuid) -> Result<PresenceSeen, StorageError>;

    /// Sets the user's status, seen at `now`; when the status shown changes,
    /// `presence.update` in each of the user's conversations.
    async fn heartbeat(
        &self,
        user: Uuid,
        status: PresenceStatus,
        now: Timestamp,
        times: PresenceTimes,
    ) -> Result<(), StorageError>;
}
