//! Conversations, participants and invites.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use sybil_domain::Timestamp;
use sybil_domain::conversation::model::{Conversation, Membership, Participant, PresenceSeen};
use sybil_domain::conversation::permissions::keeps_an_owner;
use sybil_domain::conversation::{ConversationRole, Invite};
use sybil_ports::outbound::{
    AcceptOutcome, ConversationEvent, MembershipAction, RemoveOutcome, SetRoleOutcome,
    StorageError, StoredInvite,
};
use uuid::Uuid;

use super::events::Events;
use super::rows::{
    CONVERSATION_COLUMNS, conversation, maybe_millis, millis, presence_status, role,
};
use crate::SeaOrmStorage;
use crate::columns::{count, get};

fn membership_row(row: &sea_orm::QueryResult) -> Result<Membership, StorageError> {
    Ok(Membership {
        conversation: conversation(row)?,
        role: role(row, "role")?,
        participant_count: count(row, "participant_count")?,
    })
}

const ACTIVE_COUNT: &str = "(SELECT COUNT(*) FROM conversation_participants q \
     WHERE q.conversation_id = c.id AND q.left_at IS NULL) AS participant_count";

impl SeaOrmStorage {
    pub(crate) async fn insert_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<(), StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let (provider, model) = match &conversation.defaults {
            Some((p, m)) => (Some(p.as_str().to_string()), Some(m.clone())),
            None => (None, None),
        };
        self.run(
            &txn,
            "INSERT INTO conversations (id, title, is_group, created_by, created_at, \
             last_activity_at, provider, model, last_seq, last_event_id) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, 0, 0)",
            vec![
                conversation.id.into(),
                conversation.title.clone().into(),
                conversation.is_group.into(),
                conversation.created_by.into(),
                conversation.created_at.millis().into(),
                provider.into(),
                model.into(),
            ],
        )
        .await?;
        self.run(
            &txn,
            "INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, \
             joined_after_seq, left_at) VALUES ($1, $2, 'owner', $3, 0, NULL)",
            vec![
                conversation.id.into(),
                conversation.created_by.into(),
                conversation.created_at.millis().into(),
            ],
        )
        .await?;
        self.commit(txn).await
    }

    pub(crate) async fn list_memberships(
        &self,
        user: Uuid,
        after: Option<(Timestamp, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Membership>, StorageError> {
        let mut values: Vec<Value> = vec![user.into(), (limit as i64).into()];
        let page = match after {
            Some((at, id)) => {
                values.extend([at.millis().into(), id.into()]);
                "AND (c.last_activity_at < $3 OR (c.last_activity_at = $3 AND c.id < $4))"
            }
            None => "",
        };
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS}, p.role, {ACTIVE_COUNT} \
             FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id \
             WHERE p.user_id = $1 AND p.left_at IS NULL {page} \
             ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2"
        );
        let rows = self.rows(&self.db, &sql, values).await?;
        rows.iter().map(membership_row).collect()
    }

    pub(crate) async fn find_membership(
        &self,
        db: &impl ConnectionTrait,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Option<Membership>, StorageError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS}, p.role, {ACTIVE_COUNT} \
             FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id \
             WHERE p.conversation_id = $1 AND p.user_id = $2 AND p.left_at IS NULL"
        );
        self.row(db, &sql, vec![conversation.into(), user.into()])
            .await?
            .as_ref()
            .map(membership_row)
            .transpose()
    }

    pub(crate) async fn list_participants(
        &self,
        conversation: Uuid,
    ) -> Result<Vec<Participant>, StorageError> {
        let rows = self
            .rows(
                &self.db,
                "SELECT p.user_id, p.role, p.joined_at, u.username, u.display_name, \
                 u.last_seen_at, s.status \
                 FROM conversation_participants p JOIN users u ON u.id = p.user_id \
                 LEFT JOIN user_presence s ON s.user_id = p.user_id \
                 WHERE p.conversation_id = $1 AND p.left_at IS NULL \
                 ORDER BY p.joined_at, p.user_id",
                vec![conversation.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let last_seen_at = maybe_millis(r, "last_seen_at")?;
                let presence = match last_seen_at {
                    None => PresenceSeen::NEVER,
                    Some(_) => PresenceSeen {
                        status: presence_status(get(r, "status")?)?,
                        last_seen_at,
                    },
                };
                Ok(Participant {
                    user_id: get(r, "user_id")?,
                    username: get(r, "username")?,
                    display_name: get(r, "display_name")?,
                    role: role(r, "role")?,
                    joined_at: millis(r, "joined_at")?,
                    presence,
                })
            })
            .collect()
    }

    /// Holds the conversation's row until the transaction ends, so that
    /// membership changes (the last-owner rule) take turns on PostgreSQL.
    async fn lock_conversation(
        &self,
        txn: &DatabaseTransaction,
        conversation: Uuid,
    ) -> Result<bool, StorageError> {
        let touched = self
            .run(
                txn,
                "UPDATE conversations SET last_event_id = last_event_id WHERE id = $1",
                vec![conversation.into()],
            )
            .await?;
        Ok(touched > 0)
    }

    /// The user's current role, if an active participant.
    async fn active_role(
        &self,
        txn: &DatabaseTransaction,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Option<ConversationRole>, StorageError> {
        let row = self
            .row(
                txn,
                "SELECT role FROM conversation_participants \
                 WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL",
                vec![conversation.into(), user.into()],
            )
            .await?;
        row.as_ref().map(|r| role(r, "role")).transpose()
    }

    async fn owners(
        &self,
        txn: &DatabaseTransaction,
        conversation: Uuid,
    ) -> Result<u64, StorageError> {
        let row = self
            .row(
                txn,
                "SELECT COUNT(*) AS owners FROM conversation_participants \
                 WHERE conversation_id = $1 AND role = 'owner' AND left_at IS NULL",
                vec![conversation.into()],
            )
            .await?;
        row.as_ref().map_or(Ok(0), |r| count(r, "owners"))
    }

    /// Marks the user's memberships changed (its session rotates, §3.3).
    async fn memberships_changed(
        &self,
        txn: &DatabaseTransaction,
        user: Uuid,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.run(
            txn,
            "UPDATE users SET memberships_changed_at = $2 WHERE id = $1",
            vec![user.into(), now.millis().into()],
        )
        .await
        .map(|_| ())
    }

    /// Makes `user` an active participant anew (returning or new), with the
    /// events of an add.
    #[allow(clippy::too_many_arguments)]
    async fn join(
        &self,
        txn: &DatabaseTransaction,
        conversation: Uuid,
        user: Uuid,
        role: ConversationRole,
        now: Timestamp,
        presence: PresenceSeen,
        events: &mut Events,
    ) -> Result<(), StorageError> {
        let values = vec![
            conversation.into(),
            user.into(),
            role.as_str().into(),
            now.millis().into(),
        ];
        self.run(
            txn,
            "INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, \
             joined_after_seq, left_at) \
             VALUES ($1, $2, $3, $4, (SELECT last_seq FROM conversations WHERE id = $1), NULL) \
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role, \
             joined_at = excluded.joined_at, joined_after_seq = excluded.joined_after_seq, \
             left_at = NULL",
            values,
        )
        .await?;
        self.memberships_changed(txn, user, now).await?;
        events.role_set(conversation, user, role, MembershipAction::Added, presence);
        Ok(())
    }

    pub(crate) async fn write_role(
        &self,
        conversation: Uuid,
        user: Uuid,
        role: ConversationRole,
        now: Timestamp,
        presence: PresenceSeen,
    ) -> Result<SetRoleOutcome, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let user_exists = self
            .row(
                &txn,
                "SELECT id FROM users WHERE id = $1",
                vec![user.into()],
            )
            .await?
            .is_some();
        if !user_exists {
            self.rollback(txn).await?;
            return Ok(SetRoleOutcome::UserNotFound);
        }
        self.lock_conversation(&txn, conversation).await?;
        let mut events = Events::default();
        let outcome = match self.active_role(&txn, conversation, user).await? {
            Some(current) if current == role => SetRoleOutcome::Unchanged,
            Some(current) => {
                let owners = self.owners(&txn, conversation).await?;
                if !keeps_an_owner(
                    owners,
                    current == ConversationRole::Owner,
                    role == ConversationRole::Owner,
                ) {
                    SetRoleOutcome::LastOwner
                } else {
                    self.run(
                        &txn,
                        "UPDATE conversation_participants SET role = $3 \
                         WHERE conversation_id = $1 AND user_id = $2",
                        vec![conversation.into(), user.into(), role.as_str().into()],
                    )
                    .await?;
                    self.memberships_changed(&txn, user, now).await?;
                    events.role_set(
                        conversation,
                        user,
                        role,
                        MembershipAction::RoleUpdated,
                        presence,
                    );
                    SetRoleOutcome::RoleUpdated
                }
            }
            None => {
                self.join(&txn, conversation, user, role, now, presence, &mut events)
                    .await?;
                SetRoleOutcome::Added
            }
        };
        if matches!(outcome, SetRoleOutcome::Added | SetRoleOutcome::RoleUpdated) {
            self.commit_events(txn, events, now).await?;
        } else {
            self.rollback(txn).await?;
        }
        Ok(outcome)
    }

    pub(crate) async fn end_membership(
        &self,
        conversation: Uuid,
        user: Uuid,
        now: Timestamp,
    ) -> Result<RemoveOutcome, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        self.lock_conversation(&txn, conversation).await?;
        let Some(prior) = self.active_role(&txn, conversation, user).await? else {
            self.rollback(txn).await?;
            return Ok(RemoveOutcome::NotParticipant);
        };
        let owners = self.owners(&txn, conversation).await?;
        if !keeps_an_owner(owners, prior == ConversationRole::Owner, false) {
            self.rollback(txn).await?;
            return Ok(RemoveOutcome::LastOwner);
        }
        self.run(
            &txn,
            "UPDATE conversation_participants SET left_at = $3 \
             WHERE conversation_id = $1 AND user_id = $2",
            vec![conversation.into(), user.into(), now.millis().into()],
        )
        .await?;
        self.run(
            &txn,
            "DELETE FROM typing_states WHERE conversation_id = $1 AND user_id = $2",
            vec![conversation.into(), user.into()],
        )
        .await?;
        self.memberships_changed(&txn, user, now).await?;
        let mut events = Events::default();
        events.push(
            conversation,
            ConversationEvent::MembershipChanged {
                user_id: user,
                role: prior,
                action: MembershipAction::Removed,
            },
        );
        self.commit_events(txn, events, now).await?;
        Ok(RemoveOutcome::Removed)
    }

    pub(crate) async fn insert_invite(&self, stored: &StoredInvite) -> Result<(), StorageError> {
        let invite = &stored.invite;
        let (txn, _turn) = self.begin_write().await?;
        self.run(
            &txn,
            "INSERT INTO conversation_invites (id, conversation_id, token_digest, role, email, \
             expires_at, revoked_at, accepted_by, accepted_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, $7, $8)",
            vec![
                invite.id.into(),
                invite.conversation_id.into(),
                stored.token_digest.clone().into(),
                invite.role.as_str().into(),
                invite.email.clone().into(),
                invite.expires_at.millis().into(),
                stored.created_by.into(),
                stored.created_at.millis().into(),
            ],
        )
        .await?;
        self.commit(txn).await
    }

    pub(crate) async fn invite_by_digest(
        &self,
        digest: &str,
    ) -> Result<Option<Invite>, StorageError> {
        let row = self
            .row(
                &self.db,
                "SELECT id, conversation_id, role, email, expires_at, revoked_at, accepted_by \
                 FROM conversation_invites WHERE token_digest = $1",
                vec![digest.into()],
            )
            .await?;
        row.as_ref()
            .map(|r| {
                Ok(Invite {
                    id: get(r, "id")?,
                    conversation_id: get(r, "conversation_id")?,
                    role: role(r, "role")?,
                    email: get(r, "email")?,
                    expires_at: millis(r, "expires_at")?,
                    revoked_at: maybe_millis(r, "revoked_at")?,
                    accepted_by: get(r, "accepted_by")?,
                })
            })
            .transpose()
    }

    pub(crate) async fn take_invite(
        &self,
        invite: &Invite,
        user: Uuid,
        now: Timestamp,
        presence: PresenceSeen,
    ) -> Result<AcceptOutcome, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        self.lock_conversation(&txn, invite.conversation_id).await?;
        let taken = self
            .run(
                &txn,
                "UPDATE conversation_invites SET accepted_by = $2, accepted_at = $3 \
                 WHERE id = $1 AND accepted_by IS NULL AND revoked_at IS NULL AND expires_at > $3",
                vec![invite.id.into(), user.into(), now.millis().into()],
            )
            .await?;
        let member = self
            .active_role(&txn, invite.conversation_id, user)
            .await?
            .is_some();
        if taken == 0 || member {
            self.rollback(txn).await?;
            return Ok(AcceptOutcome::Raced);
        }
        let mut events = Events::default();
        self.join(
            &txn,
            invite.conversation_id,
            user,
            invite.role,
            now,
            presence,
            &mut events,
        )
        .await?;
        self.commit_events(txn, events, now).await?;
        Ok(AcceptOutcome::Joined)
    }

    pub(crate) async fn cancel_invite(
        &self,
        invite: Uuid,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        self.run(
            &txn,
            "UPDATE conversation_invites SET revoked_at = $2 WHERE id = $1 \
             AND revoked_at IS NULL AND accepted_by IS NULL AND expires_at > $2",
            vec![invite.into(), now.millis().into()],
        )
        .await?;
        self.commit(txn).await
    }
}
