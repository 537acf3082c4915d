//! Read marks, typing, and heartbeats.

use sybil_domain::Timestamp;
use sybil_domain::conversation::PresenceStatus;
use sybil_domain::conversation::model::ThreadMessage;
use sybil_domain::conversation::presence::PresenceTimes;
use sybil_ports::outbound::{ConversationEvent, StorageError};
use uuid::Uuid;

use super::events::Events;
use crate::SeaOrmStorage;
use crate::columns::count;

impl SeaOrmStorage {
    pub(crate) async fn write_read_mark(
        &self,
        root: &ThreadMessage,
        user: Uuid,
        upto: Option<u64>,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let seq = match upto {
            Some(seq) => seq,
            None => {
                let newest = self
                    .row(
                        &txn,
                        "SELECT MAX(seq) AS newest FROM conversation_messages WHERE root_id = $1",
                        vec![root.id.into()],
                    )
                    .await?;
                newest
                    .as_ref()
                    .map_or(Ok(root.seq), |r| count(r, "newest"))?
            }
        };
        // A mark never moves back.
        self.run(
            &txn,
            "INSERT INTO thread_reads (user_id, root_id, read_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, root_id) DO UPDATE SET read_seq = CASE \
             WHEN excluded.read_seq > thread_reads.read_seq THEN excluded.read_seq \
             ELSE thread_reads.read_seq END",
            vec![user.into(), root.id.into(), (seq as i64).into()],
        )
        .await?;
        let unread = self
            .thread_unread(&txn, root.conversation_id, root.id)
            .await?
            .into_iter()
            .find(|(u, _)| *u == user)
            .map_or(0, |(_, n)| n);
        let mut events = Events::default();
        events.push(
            root.conversation_id,
            ConversationEvent::UnreadUpdate {
                user_id: user,
                root_id: root.id,
                unread,
            },
        );
        self.commit_events(txn, events, now).await
    }

    pub(crate) async fn write_typing(
        &self,
        conversation: Uuid,
        root: Uuid,
        user: Uuid,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        self.run(
            &txn,
            "INSERT INTO typing_states (conversation_id, user_id, root_id, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, user_id) DO UPDATE \
             SET root_id = excluded.root_id, expires_at = excluded.expires_at",
            vec![
                conversation.into(),
                user.into(),
                root.into(),
                expires_at.millis().into(),
            ],
        )
        .await?;
        let mut events = Events::default();
        events.push(
            conversation,
            ConversationEvent::TypingUpdate {
                root_id: root,
                user_id: user,
                expires_at,
            },
        );
        self.commit_events(txn, events, now).await
    }

    pub(crate) async fn write_heartbeat(
        &self,
        user: Uuid,
        status: PresenceStatus,
        now: Timestamp,
        times: PresenceTimes,
    ) -> Result<(), StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let mut events = Events::default();
        self.see_user(&txn, user, status, now, times, None, &mut events)
            .await?;
        self.commit_events(txn, events, now).await
    }
}
