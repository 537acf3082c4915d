//! What a conversation's followers read: the events meant for them, at one
//! instant with the newest id, and retention.

use sybil_domain::Timestamp;
use sybil_ports::outbound::{EventBatch, StorageError, StoredEvent};
use sybil_wire::collab::blank_text;
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::columns::{count, get};

impl SeaOrmStorage {
    pub(crate) async fn read_events(
        &self,
        conversation: Uuid,
        user: Uuid,
        after: u64,
        limit: u64,
    ) -> Result<EventBatch, StorageError> {
        // One statement: the events and the newest id come from one snapshot.
        let rows = self
            .rows(
                &self.db,
                "SELECT e.id, e.kind, e.payload, m.deleted_at AS message_deleted_at, \
                 c.last_event_id AS newest, \
                 (SELECT MIN(x.id) FROM conversation_events x WHERE x.conversation_id = c.id) \
                 AS oldest \
                 FROM conversations c \
                 LEFT JOIN conversation_events e ON e.conversation_id = c.id AND e.id > $2 \
                 AND (e.recipient IS NULL OR e.recipient = $3) \
                 AND (e.excluded IS NULL OR e.excluded <> $3) \
                 LEFT JOIN conversation_messages m ON m.id = e.message_id \
                 WHERE c.id = $1 ORDER BY e.id LIMIT $4",
                vec![
                    conversation.into(),
                    (after.min(i64::MAX as u64) as i64).into(),
                    user.into(),
                    (limit.max(1) as i64).into(),
                ],
            )
            .await?;
        let Some(first) = rows.first() else {
            return Ok(EventBatch {
                events: Vec::new(),
                newest: 0,
                oldest: None,
            });
        };
        let newest = count(first, "newest")?;
        let oldest = get::<Option<i64>>(first, "oldest")?.map(|n| n.max(0) as u64);
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(id) = get::<Option<i64>>(row, "id")? else {
                continue;
            };
            let kind: String = get(row, "kind")?;
            let payload: String = get(row, "payload")?;
            // Replays show deleted text as reads do (§6.1).
            let deleted = get::<Option<i64>>(row, "message_deleted_at")?.is_some();
            let data = if deleted {
                blank_text(&kind, &payload)
            } else {
                payload
            };
            events.push(StoredEvent {
                id: id.max(0) as u64,
                kind,
                data,
            });
        }
        Ok(EventBatch {
            events,
            newest,
            oldest,
        })
    }

    pub(crate) async fn delete_old_events(&self, before: Timestamp) -> Result<u64, StorageError> {
        let _turn = self.write_turn().await;
        self.run(
            &self.db,
            "DELETE FROM conversation_events WHERE created_at < $1",
            vec![before.millis().into()],
        )
        .await
    }
}
