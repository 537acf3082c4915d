//! Unread counts (§4.7). A message is unread for a participant when it is
//! not deleted, not the participant's own, numbered after the participant
//! last joined, and after the participant's read mark of its thread.

use sea_orm::ConnectionTrait;
use sybil_ports::outbound::StorageError;
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::columns::{count, get};

/// The unread rule for the participant row `p` and the message row `m`.
const UNREAD: &str = "m.deleted_at IS NULL \
     AND (m.author_user_id IS NULL OR m.author_user_id <> p.user_id) \
     AND m.seq > p.joined_after_seq \
     AND m.seq > COALESCE((SELECT r.read_seq FROM thread_reads r \
                           WHERE r.user_id = p.user_id AND r.root_id = m.root_id), 0)";

impl SeaOrmStorage {
    /// Each active participant's unread count in the thread of `root`, by `joined_at`.
    pub(crate) async fn thread_unread(
        &self,
        db: &impl ConnectionTrait,
        conversation: Uuid,
        root: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, StorageError> {
        let sql = format!(
            "SELECT p.user_id, (SELECT COUNT(*) FROM conversation_messages m \
                                WHERE m.root_id = $2 AND {UNREAD}) AS unread \
             FROM conversation_participants p \
             WHERE p.conversation_id = $1 AND p.left_at IS NULL ORDER BY p.joined_at, p.user_id"
        );
        let rows = self
            .rows(db, &sql, vec![conversation.into(), root.into()])
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "user_id")?, count(r, "unread")?)))
            .collect()
    }

    /// `user`'s threads with unread messages, by `last_activity_at` descending.
    pub(crate) async fn user_unread(
        &self,
        db: &impl ConnectionTrait,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, StorageError> {
        let sql = format!(
            "SELECT t.root_id, COUNT(*) AS unread \
             FROM conversation_participants p \
             JOIN conversation_messages m ON m.conversation_id = p.conversation_id \
             JOIN conversation_threads t ON t.root_id = m.root_id \
             WHERE p.conversation_id = $1 AND p.user_id = $2 AND p.left_at IS NULL AND {UNREAD} \
             GROUP BY t.root_id, t.last_activity_at \
             ORDER BY t.last_activity_at DESC, t.root_id DESC"
        );
        let rows = self
            .rows(db, &sql, vec![conversation.into(), user.into()])
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "root_id")?, count(r, "unread")?)))
            .collect()
    }
}
