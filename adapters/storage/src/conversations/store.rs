//! The port, over the repository's methods.

use async_trait::async_trait;
use sybil_domain::Timestamp;
use sybil_domain::conversation::model::{
    Conversation, Membership, Participant, PresenceSeen, ThreadMessage, ThreadSummary,
};
use sybil_domain::conversation::presence::PresenceTimes;
use sybil_domain::conversation::{ConversationRole, Invite, MessagePath, PresenceStatus};
use sybil_ports::outbound::{
    AcceptOutcome, ConversationStore, DeleteOutcome, EditOutcome, EventBatch, MessageChunk,
    NewPost, NewReply, RemoveOutcome, ReplyEnd, SetRoleOutcome, StorageError, StoredInvite,
};
use uuid::Uuid;

use crate::BoundedStorage;

/// Every call bounded like the other ports (`bounded.rs`).
#[async_trait]
impl ConversationStore for BoundedStorage {
    async fn create_conversation(&self, conversation: &Conversation) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.insert_conversation(conversation)).await
    }

    async fn memberships(
        &self,
        user: Uuid,
        after: Option<(Timestamp, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Membership>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_memberships(user, after, limit)).await
    }

    async fn membership(
        &self,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Option<Membership>, StorageError> {
        let s = self.inner();
        s.bounded(s.find_membership(&s.db, conversation, user))
            .await
    }

    async fn participants(&self, conversation: Uuid) -> Result<Vec<Participant>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_participants(conversation)).await
    }

    async fn set_role(
        &self,
        conversation: Uuid,
        user: Uuid,
        role: ConversationRole,
        now: Timestamp,
        presence: PresenceSeen,
    ) -> Result<SetRoleOutcome, StorageError> {
        let s = self.inner();
        s.bounded(s.write_role(conversation, user, role, now, presence))
            .await
    }

    async fn remove_participant(
        &self,
        conversation: Uuid,
        user: Uuid,
        now: Timestamp,
    ) -> Result<RemoveOutcome, StorageError> {
        let s = self.inner();
        s.bounded(s.end_membership(conversation, user, now)).await
    }

    async fn create_invite(&self, invite: &StoredInvite) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.insert_invite(invite)).await
    }

    async fn find_invite(&self, token_digest: &str) -> Result<Option<Invite>, StorageError> {
        let s = self.inner();
        s.bounded(s.invite_by_digest(token_digest)).await
    }

    async fn accept_invite(
        &self,
        invite: &Invite,
        user: Uuid,
        now: Timestamp,
        presence: PresenceSeen,
    ) -> Result<AcceptOutcome, StorageError> {
        let s = self.inner();
        s.bounded(s.take_invite(invite, user, now, presence)).await
    }

    async fn revoke_invite(&self, invite: Uuid, now: Timestamp) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.cancel_invite(invite, now)).await
    }

    async fn message(&self, id: Uuid) -> Result<Option<ThreadMessage>, StorageError> {
        let s = self.inner();
        s.bounded(s.find_message(&s.db, id)).await
    }

    async fn ancestry(&self, message: &ThreadMessage) -> Result<Vec<ThreadMessage>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_ancestry(message)).await
    }

    async fn message_at(
        &self,
        root: Uuid,
        path: &MessagePath,
    ) -> Result<Option<ThreadMessage>, StorageError> {
        let s = self.inner();
        s.bounded(s.find_message_at(root, path)).await
    }

    async fn post(
        &self,
        post: NewPost,
        times: PresenceTimes,
    ) -> Result<ThreadMessage, StorageError> {
        let s = self.inner();
        s.bounded(s.write_post(post, times)).await
    }

    async fn start_reply(&self, reply: NewReply) -> Result<ThreadMessage, StorageError> {
        let s = self.inner();
        s.bounded(s.write_reply_start(reply)).await
    }

    async fn append_reply_text(
        &self,
        reply: &ThreadMessage,
        idx: u64,
        text: &str,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let s = self.inner();
        s.bounded(s.write_reply_text(reply, idx, text, now)).await
    }

    async fn finish_reply(
        &self,
        reply: &ThreadMessage,
        end: ReplyEnd,
    ) -> Result<bool, StorageError> {
        let s = self.inner();
        s.bounded(s.write_reply_end(reply, end)).await
    }

    async fn thread_messages(
        &self,
        root: &ThreadMessage,
        after: Option<MessagePath>,
        limit: u64,
    ) -> Result<Vec<ThreadMessage>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_thread(root, after.as_ref(), limit)).await
    }

    async fn threads(
        &self,
        conversation: Uuid,
        before: Option<Timestamp>,
        limit: u64,
    ) -> Result<Vec<ThreadSummary>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_threads(conversation, before, limit)).await
    }

    async fn unread(
        &self,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, StorageError> {
        let s = self.inner();
        s.bounded(s.user_unread(&s.db, conversation, user)).await
    }

    async fn mark_read(
        &self,
        root: &ThreadMessage,
        user: Uuid,
        upto: Option<u64>,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.write_read_mark(root, user, upto, now)).await
    }

    async fn edit_message(
        &self,
        id: Uuid,
        content: &str,
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<EditOutcome, StorageError> {
        let s = self.inner();
        s.bounded(s.write_edit(id, content, reason.as_deref(), now))
            .await
    }

    async fn set_deleted(
        &self,
        id: Uuid,
        by: Option<Uuid>,
        now: Timestamp,
    ) -> Result<DeleteOutcome, StorageError> {
        let s = self.inner();
        s.bounded(s.write_deleted(id, by, now)).await
    }

    async fn chunks(
        &self,
        message: Uuid,
        from: u64,
        limit: u64,
    ) -> Result<Vec<MessageChunk>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_chunks(message, from, limit)).await
    }

    async fn set_typing(
        &self,
        conversation: Uuid,
        root: Uuid,
        user: Uuid,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.write_typing(conversation, root, user, expires_at, now))
            .await
    }

    async fn renew_reply_leases(&self, owner: &str, now: Timestamp) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.renew_leases(owner, now)).await
    }

    async fn abandoned_replies(
        &self,
        before: Timestamp,
    ) -> Result<Vec<ThreadMessage>, StorageError> {
        let s = self.inner();
        s.bounded(s.list_abandoned(before)).await
    }

    async fn announce_presence(
        &self,
        now: Timestamp,
        times: PresenceTimes,
    ) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.announce_decayed_presence(now, times)).await
    }

    async fn events_for(
        &self,
        conversation: Uuid,
        user: Uuid,
        after: u64,
        limit: u64,
    ) -> Result<EventBatch, StorageError> {
        let s = self.inner();
        s.bounded(s.read_events(conversation, user, after, limit))
            .await
    }

    async fn delete_events_before(&self, before: Timestamp) -> Result<u64, StorageError> {
        let s = self.inner();
        s.bounded(s.delete_old_events(before)).await
    }

    async fn presence(&self, user: Uuid) -> Result<PresenceSeen, StorageError> {
        let s = self.inner();
        s.bounded(s.presence_of(&s.db, user)).await
    }

    async fn heartbeat(
        &self,
        user: Uuid,
        status: PresenceStatus,
        now: Timestamp,
        times: PresenceTimes,
    ) -> Result<(), StorageError> {
        let s = self.inner();
        s.bounded(s.write_heartbeat(user, status, now, times)).await
    }
}
