//! Creating and listing conversations, and who is in them (§4.5).

use sybil_domain::Provider;
use sybil_domain::account::{FieldError, User};
use sybil_domain::conversation::model::Conversation;
use sybil_domain::conversation::permissions::Action;
use sybil_domain::conversation::{ConversationRole, content};
use sybil_domain::pagination::{decode_cursor, encode_cursor, page_limit};
use sybil_ports::inbound::{
    ConversationDetail, ConversationError, ConversationPage, NewConversation, ShownParticipant,
};
use sybil_ports::outbound::{RemoveOutcome, SetRoleOutcome};
use uuid::Uuid;

use super::{ConversationService, NOT_FOUND};

const LAST_OWNER: ConversationError =
    ConversationError::Conflict("conversation needs at least one owner");

/// `provider` and `model`: both or neither, `model` not blank.
pub(super) fn reply_model(
    provider: Option<Provider>,
    model: Option<String>,
) -> Result<Option<(Provider, String)>, FieldError> {
    match (provider, model) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(FieldError::new("model", "model is required with provider")),
        (None, Some(_)) => Err(FieldError::new(
            "provider",
            "provider is required with model",
        )),
        (Some(_), Some(m)) if m.trim().is_empty() => {
            Err(FieldError::new("model", "model must not be blank"))
        }
        (Some(p), Some(m)) => Ok(Some((p, m))),
    }
}

impl ConversationService {
    pub(super) async fn create_conversation(
        &self,
        user: &User,
        new: NewConversation,
    ) -> Result<Uuid, ConversationError> {
        if user.roles.is_read_only() {
            return Err(ConversationError::Forbidden(
                "read_only accounts cannot create conversations",
            ));
        }
        let title = content::title(&new.title)?;
        let defaults = reply_model(new.provider, new.model)?;
        let now = self.now();
        let conversation = Conversation {
            id: self.deps.ids.new_id(),
            title,
            is_group: new.is_group,
            created_by: user.id,
            created_at: now,
            last_activity_at: now,
            defaults,
        };
        self.deps.store.create_conversation(&conversation).await?;
        Ok(conversation.id)
    }

    pub(super) async fn list_conversations(
        &self,
        user: &User,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> Result<ConversationPage, ConversationError> {
        let limit = page_limit(limit, 50, 100);
        let after = cursor.as_deref().map(decode_cursor).transpose()?;
        let conversations = self.deps.store.memberships(user.id, after, limit).await?;
        let next_cursor = (conversations.len() as u64 == limit)
            .then(|| {
                conversations
                    .last()
                    .map(|m| encode_cursor(m.conversation.last_activity_at, m.conversation.id))
            })
            .flatten();
        Ok(ConversationPage {
            conversations,
            next_cursor,
        })
    }

    pub(super) async fn conversation_detail(
        &self,
        user: &User,
        conversation: Uuid,
    ) -> Result<ConversationDetail, ConversationError> {
        let membership = self.member_of(user, conversation, NOT_FOUND).await?;
        let now = self.now();
        let times = self.deps.settings.presence;
        let participants = self
            .deps
            .store
            .participants(conversation)
            .await?
            .into_iter()
            .map(|participant| ShownParticipant {
                status: times.status(
                    participant.presence.status,
                    participant.presence.last_seen_at,
                    now,
                ),
                participant,
            })
            .collect();
        Ok(ConversationDetail {
            membership,
            participants,
        })
    }

    pub(super) async fn add(
        &self,
        user: &User,
        conversation: Uuid,
        target: Uuid,
        role: ConversationRole,
    ) -> Result<(), ConversationError> {
        let membership = self.member_of(user, conversation, NOT_FOUND).await?;
        let current = self
            .deps
            .store
            .membership(conversation, target)
            .await?
            .map(|m| m.role);
        Self::require(
            user,
            &membership,
            Action::SetRole {
                role,
                target: current,
            },
        )?;
        let presence = self.shown_presence(target).await?;
        match self
            .deps
            .store
            .set_role(conversation, target, role, self.now(), presence)
            .await?
        {
            SetRoleOutcome::UserNotFound => Err(ConversationError::NotFound("user not found")),
            SetRoleOutcome::LastOwner => Err(LAST_OWNER),
            SetRoleOutcome::Unchanged | SetRoleOutcome::Added | SetRoleOutcome::RoleUpdated => {
                Ok(())
            }
        }
    }

    pub(super) async fn remove(
        &self,
        user: &User,
        conversation: Uuid,
        target: Uuid,
    ) -> Result<(), ConversationError> {
        let membership = self.member_of(user, conversation, NOT_FOUND).await?;
        let itself = target == user.id;
        let current = if itself {
            Some(membership.role)
        } else {
            self.deps
                .store
                .membership(conversation, target)
                .await?
                .map(|m| m.role)
        };
        // Someone who is not a participant is judged as a plain member
        // would be: the 404 comes after the permission check.
        Self::require(
            user,
            &membership,
            Action::Remove {
                target: current.unwrap_or(ConversationRole::Member),
                itself,
            },
        )?;
        match self
            .deps
            .store
            .remove_participant(conversation, target, self.now())
            .await?
        {
            RemoveOutcome::Removed => Ok(()),
            RemoveOutcome::NotParticipant => {
                Err(ConversationError::NotFound("participant not found"))
            }
            RemoveOutcome::LastOwner => Err(LAST_OWNER),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_defaults_come_in_pairs() {
        assert_eq!(reply_model(None, None).unwrap(), None);
        assert_eq!(
            reply_model(Some(Provider::Xai), None).unwrap_err().field,
            "model"
        );
        assert_eq!(
            reply_model(None, Some("m".into())).unwrap_err().field,
            "provider"
        );
        assert_eq!(
            reply_model(Some(Provider::Xai), Some("  ".into()))
                .unwrap_err()
                .field,
            "model"
        );
        assert_eq!(
            reply_model(Some(Provider::Xai), Some("grok".into())).unwrap(),
            Some((Provider::Xai, "grok".into()))
        );
    }
}
