//! Recording the stream's events in the transaction of their change: each
//! takes the next id of its conversation, allocated by one update of the
//! conversation's row (which holds that row until the commit, so ids
//! increase in commit order on PostgreSQL; SQLite has one writer).

use sea_orm::{DatabaseTransaction, Value};
use sybil_domain::Timestamp;
use sybil_domain::conversation::ConversationRole;
use sybil_domain::conversation::model::PresenceSeen;
use sybil_ports::outbound::{ConversationEvent, MembershipAction, StorageError, Topic};
use sybil_wire::collab::event_json;
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::columns::count;

/// The events of one change, by conversation, in the order they happen.
#[derive(Default)]
pub(crate) struct Events(Vec<(Uuid, ConversationEvent)>);

impl Events {
    pub(crate) fn push(&mut self, conversation: Uuid, event: ConversationEvent) {
        self.0.push((conversation, event));
    }

    /// An add or a role change (§6.3): `membership.changed`, then the
    /// target's presence.
    pub(crate) fn role_set(
        &mut self,
        conversation: Uuid,
        user: Uuid,
        role: ConversationRole,
        action: MembershipAction,
        presence: PresenceSeen,
    ) {
        self.push(
            conversation,
            ConversationEvent::MembershipChanged {
                user_id: user,
                role,
                action,
            },
        );
        self.push(
            conversation,
            ConversationEvent::PresenceUpdate {
                user_id: user,
                status: presence.status,
                last_seen_at: presence.last_seen_at,
            },
        );
    }
}

impl SeaOrmStorage {
    /// Records `events` and commits: the followers of each conversation
    /// they belong to are woken once the change is visible.
    pub(crate) async fn commit_events(
        &self,
        txn: DatabaseTransaction,
        events: Events,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let mut topics: Vec<Topic> = Vec::new();
        // A reply's end also wakes the process running it (a cancel made
        // elsewhere stops it).
        for (_, e) in &events.0 {
            if let ConversationEvent::MessageDone { message_id, .. } = e {
                topics.push(Topic::ReplyEnd(*message_id));
            }
        }
        for (c, _) in &events.0 {
            if !topics.contains(&Topic::Conversation(*c)) {
                topics.push(Topic::Conversation(*c));
            }
        }
        self.record(&txn, events, now).await?;
        self.commit_waking(txn, &topics).await
    }

    /// Writes `events`, each conversation's with consecutive new ids.
    async fn record(
        &self,
        txn: &DatabaseTransaction,
        events: Events,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let mut conversations: Vec<Uuid> = Vec::new();
        for (c, _) in &events.0 {
            if !conversations.contains(c) {
                conversations.push(*c);
            }
        }
        for conversation in conversations {
            let mine: Vec<&ConversationEvent> = events
                .0
                .iter()
                .filter(|(c, _)| *c == conversation)
                .map(|(_, e)| e)
                .collect();
            let row = self
                .row(
                    txn,
                    "UPDATE conversations SET last_event_id = last_event_id + $2 \
                     WHERE id = $1 RETURNING last_event_id",
                    vec![conversation.into(), (mine.len() as i64).into()],
                )
                .await?
                .ok_or_else(|| {
                    StorageError::Internal(format!("conversation {conversation} is gone"))
                })?;
            let last = count(&row, "last_event_id")?;
            let first = last + 1 - mine.len() as u64;
            let mut sql = String::from(
                "INSERT INTO conversation_events (conversation_id, id, kind, payload, recipient, \
                 excluded, message_id, created_at) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(mine.len() * 8);
            for (i, event) in mine.iter().enumerate() {
                let (kind, payload) = event_json(conversation, event);
                let n = values.len();
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7,
                    n + 8
                ));
                values.extend([
                    conversation.into(),
                    ((first + i as u64) as i64).into(),
                    kind.into(),
                    payload.into(),
                    event.recipient().into(),
                    event.excluded().into(),
                    event.message_id().into(),
                    now.millis().into(),
                ]);
            }
            self.run(txn, &sql, values).await?;
        }
        Ok(())
    }
}
