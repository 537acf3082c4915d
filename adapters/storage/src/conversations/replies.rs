//! Assistant replies as stored: created `streaming` and leased to the
//! process running them, their text appended chunk by chunk with its
//! `message.delta`, their end, and the leases that prove them alive.

use sybil_domain::Timestamp;
use sybil_domain::conversation::model::{MessageRole, ReplyStatus, ThreadMessage};
use sybil_ports::outbound::{ConversationEvent, NewReply, ReplyEnd, StorageError};

use super::events::Events;
use super::messages::Draft;
use super::rows::{MESSAGE_COLUMNS, message_row};
use crate::SeaOrmStorage;

impl SeaOrmStorage {
    pub(crate) async fn write_reply_start(
        &self,
        reply: NewReply,
    ) -> Result<ThreadMessage, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let conversation = reply.parent.conversation_id;
        let (stored, _) = self
            .insert_message(
                &txn,
                Draft {
                    id: reply.id,
                    conversation,
                    parent: Some(&reply.parent),
                    author: None,
                    role: MessageRole::Assistant,
                    content: "",
                    status: Some(ReplyStatus::Streaming),
                    model: reply.model.as_ref(),
                    owner: Some(&reply.owner),
                    now: reply.now,
                },
            )
            .await?;
        let mut events = Events::default();
        events.push(
            conversation,
            ConversationEvent::ThreadActivity {
                root_id: stored.root_id,
                last_activity_at: stored.created_at,
            },
        );
        self.unread_events(&txn, conversation, stored.root_id, None, &mut events)
            .await?;
        self.commit_events(txn, events, reply.now).await?;
        Ok(stored)
    }

    pub(crate) async fn write_reply_text(
        &self,
        reply: &ThreadMessage,
        idx: u64,
        text: &str,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let streaming = self
            .run(
                &txn,
                "UPDATE conversation_messages SET content = content || $2 \
                 WHERE id = $1 AND status = 'streaming'",
                vec![reply.id.into(), text.into()],
            )
            .await?;
        if streaming == 0 {
            self.rollback(txn).await?;
            return Ok(false);
        }
        self.run(
            &txn,
            "INSERT INTO message_chunks (message_id, idx, content, created_at) \
             VALUES ($1, $2, $3, $4)",
            vec![
                reply.id.into(),
                (idx as i64).into(),
                text.into(),
                now.millis().into(),
            ],
        )
        .await?;
        let mut events = Events::default();
        events.push(
            reply.conversation_id,
            ConversationEvent::MessageDelta {
                message_id: reply.id,
                root_id: reply.root_id,
                parent_id: reply.parent_id.unwrap_or(reply.root_id),
                depth: reply.depth(),
                idx,
                content: text.to_string(),
            },
        );
        self.commit_events(txn, events, now).await?;
        Ok(true)
    }

    pub(crate) async fn write_reply_end(
        &self,
        reply: &ThreadMessage,
        end: ReplyEnd,
    ) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let (code, text) = match &end.error {
            Some(e) => (Some(e.code.clone()), Some(e.message.clone())),
            None => (None, None),
        };
        let ended = self
            .run(
                &txn,
                "UPDATE conversation_messages SET status = $2, error_code = $3, \
                 error_message = $4, lease_owner = NULL, lease_heartbeat_at = NULL \
                 WHERE id = $1 AND status = 'streaming'",
                vec![
                    reply.id.into(),
                    end.status.as_str().into(),
                    code.into(),
                    text.into(),
                ],
            )
            .await?;
        if ended == 0 {
            self.rollback(txn).await?;
            return Ok(false);
        }
        let mut events = Events::default();
        events.push(
            reply.conversation_id,
            ConversationEvent::MessageDone {
                message_id: reply.id,
                root_id: reply.root_id,
                finish_reason: end.finish_reason,
                usage: end.usage,
            },
        );
        if let Some(error) = end.error {
            events.push(
                reply.conversation_id,
                ConversationEvent::Error {
                    code: error.code,
                    message: error.message,
                    message_id: Some(reply.id),
                },
            );
        }
        self.commit_events(txn, events, end.now).await?;
        Ok(true)
    }

    pub(crate) async fn renew_leases(
        &self,
        owner: &str,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.run(
            &self.db,
            "UPDATE conversation_messages SET lease_heartbeat_at = $2 \
             WHERE lease_owner = $1 AND status = 'streaming'",
            vec![owner.into(), now.millis().into()],
        )
        .await
        .map(|_| ())
    }

    pub(crate) async fn list_abandoned(
        &self,
        before: Timestamp,
    ) -> Result<Vec<ThreadMessage>, StorageError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages \
             WHERE status = 'streaming' AND lease_heartbeat_at < $1"
        );
        let rows = self
            .rows(&self.db, &sql, vec![before.millis().into()])
            .await?;
        rows.iter().map(message_row).collect()
    }
}
