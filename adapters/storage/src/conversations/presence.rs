//! Presence and typing: a user seen (heartbeat, post) at a status, and
//! who types in which thread.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use sybil_domain::Timestamp;
use sybil_domain::conversation::PresenceStatus;
use sybil_domain::conversation::model::PresenceSeen;
use sybil_domain::conversation::presence::PresenceTimes;
use sybil_ports::outbound::{ConversationEvent, StorageError};
use uuid::Uuid;

use super::events::Events;
use super::rows::{maybe_millis, presence_status};
use crate::SeaOrmStorage;
use crate::columns::get;

impl SeaOrmStorage {
    /// The user's presence as last set (`NEVER` for a user never seen).
    pub(crate) async fn presence_of(
        &self,
        db: &impl ConnectionTrait,
        user: Uuid,
    ) -> Result<PresenceSeen, StorageError> {
        let row = self
            .row(
                db,
                "SELECT u.last_seen_at, p.status FROM users u \
                 LEFT JOIN user_presence p ON p.user_id = u.id WHERE u.id = $1",
                vec![user.into()],
            )
            .await?;
        let Some(row) = row else {
            return Ok(PresenceSeen::NEVER);
        };
        let Some(seen) = maybe_millis(&row, "last_seen_at")? else {
            return Ok(PresenceSeen::NEVER);
        };
        Ok(PresenceSeen {
            status: presence_status(get(&row, "status")?)?,
            last_seen_at: Some(seen),
        })
    }

    /// The active conversations of `user`.
    pub(crate) async fn conversations_of(
        &self,
        db: &impl ConnectionTrait,
        user: Uuid,
    ) -> Result<Vec<Uuid>, StorageError> {
        let rows = self
            .rows(
                db,
                "SELECT conversation_id FROM conversation_participants \
                 WHERE user_id = $1 AND left_at IS NULL ORDER BY conversation_id",
                vec![user.into()],
            )
            .await?;
        rows.iter().map(|r| get(r, "conversation_id")).collect()
    }

    /// Records `user` seen at `now` with `status`; when the status shown
    /// changes, `presence.update` in each of the user's conversations,
    /// `first` (the one being posted in) first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn see_user(
        &self,
        txn: &DatabaseTransaction,
        user: Uuid,
        status: PresenceStatus,
        now: Timestamp,
        times: PresenceTimes,
        first: Option<Uuid>,
        events: &mut Events,
    ) -> Result<(), StorageError> {
        let before = self.presence_of(txn, user).await?;
        let shown = times.status(before.status, before.last_seen_at, now);
        self.run(
            txn,
            "UPDATE users SET last_seen_at = $2 WHERE id = $1",
            vec![user.into(), now.millis().into()],
        )
        .await?;
        self.run(
            txn,
            "INSERT INTO user_presence (user_id, status, announced) VALUES ($1, $2, $2) \
             ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, \
             announced = excluded.announced",
            vec![user.into(), status.as_str().into()],
        )
        .await?;
        if shown == status {
            return Ok(());
        }
        let mut conversations = self.conversations_of(txn, user).await?;
        if let Some(first) = first
            && let Some(at) = conversations.iter().position(|c| *c == first)
        {
            conversations.remove(at);
            conversations.insert(0, first);
        }
        for conversation in conversations {
            events.push(
                conversation,
                ConversationEvent::PresenceUpdate {
                    user_id: user,
                    status,
                    last_seen_at: Some(now),
                },
            );
        }
        Ok(())
    }

    /// Announces each status that time changed since it was last announced.
    /// A user without a presence row was last seen signing in: online.
    pub(crate) async fn announce_decayed_presence(
        &self,
        now: Timestamp,
        times: PresenceTimes,
    ) -> Result<(), StorageError> {
        let rows = self
            .rows(
                &self.db,
                "SELECT u.id, u.last_seen_at, p.status, p.announced FROM users u \
                 LEFT JOIN user_presence p ON p.user_id = u.id \
                 WHERE u.last_seen_at IS NOT NULL \
                 AND (p.announced IS NULL OR p.announced <> 'offline')",
                vec![],
            )
            .await?;
        for row in &rows {
            let user: Uuid = get(row, "id")?;
            let seen = maybe_millis(row, "last_seen_at")?;
            let set = presence_status(get(row, "status")?)?;
            let announced = presence_status(get(row, "announced")?)?;
            let shown = times.status(set, seen, now);
            if shown == announced {
                continue;
            }
            let (txn, _turn) = self.begin_write().await?;
            // Whoever changes the announced status first announces it.
            let claimed = self
                .run(
                    &txn,
                    "INSERT INTO user_presence (user_id, status, announced) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id) DO UPDATE SET announced = excluded.announced \
                     WHERE user_presence.announced = $4",
                    vec![
                        user.into(),
                        set.as_str().into(),
                        shown.as_str().into(),
                        announced.as_str().into(),
                    ],
                )
                .await?;
            if claimed == 0 {
                self.rollback(txn).await?;
                continue;
            }
            let mut events = Events::default();
            for conversation in self.conversations_of(&txn, user).await? {
                events.push(
                    conversation,
                    ConversationEvent::PresenceUpdate {
                        user_id: user,
                        status: shown,
                        last_seen_at: seen,
                    },
                );
            }
            self.commit_events(txn, events, now).await?;
        }
        Ok(())
    }

    /// Ends `user`'s typing in the conversation; when it was typing in the
    /// thread of `root` until after `now`, `typing.update` says it stopped.
    pub(crate) async fn stop_typing(
        &self,
        txn: &DatabaseTransaction,
        conversation: Uuid,
        user: Uuid,
        root: Uuid,
        now: Timestamp,
        events: &mut Events,
    ) -> Result<(), StorageError> {
        let was_typing = self
            .run(
                txn,
                "DELETE FROM typing_states WHERE conversation_id = $1 AND user_id = $2 \
                 AND root_id = $3 AND expires_at > $4",
                vec![
                    conversation.into(),
                    user.into(),
                    root.into(),
                    now.millis().into(),
                ],
            )
            .await?;
        if was_typing > 0 {
            events.push(
                conversation,
                ConversationEvent::TypingUpdate {
                    root_id: root,
                    user_id: user,
                    expires_at: now,
                },
            );
        }
        Ok(())
    }
}
