//! Read marks, typing and presence (§4.7, §4.9).

use sybil_domain::account::{FieldError, User};
use sybil_domain::conversation::model::PresenceSeen;
use sybil_domain::conversation::permissions::Action;
use sybil_domain::conversation::typing::typing_until;
use sybil_domain::conversation::{MessagePath, PresenceStatus};
use sybil_ports::inbound::ConversationError;
use uuid::Uuid;

use super::{ConversationService, NOT_FOUND};

pub(super) const NO_ROOT: ConversationError = ConversationError::NotFound("thread root not found");

impl ConversationService {
    /// The user's presence with the status shown now.
    pub(super) async fn shown_presence(
        &self,
        user: Uuid,
    ) -> Result<PresenceSeen, ConversationError> {
        let set = self.deps.store.presence(user).await?;
        Ok(PresenceSeen {
            status: self
                .deps
                .settings
                .presence
                .status(set.status, set.last_seen_at, self.now()),
            last_seen_at: set.last_seen_at,
        })
    }

    pub(super) async fn read_thread(
        &self,
        user: &User,
        root: Uuid,
        path: Option<String>,
    ) -> Result<(), ConversationError> {
        let root = self.root_for(user, root).await?;
        let upto = match path {
            None => None,
            Some(text) => {
                let not_here = || FieldError::new("path", "path must be a message of this thread");
                let path = MessagePath::parse(&text).ok_or_else(not_here)?;
                let message = self
                    .deps
                    .store
                    .message_at(root.id, &path)
                    .await?
                    .ok_or_else(not_here)?;
                Some(message.seq)
            }
        };
        self.deps
            .store
            .mark_read(&root, user.id, upto, self.now())
            .await?;
        Ok(())
    }

    pub(super) async fn set_typing(
        &self,
        user: &User,
        conversation: Uuid,
        root: Uuid,
        seconds: Option<i64>,
    ) -> Result<(), ConversationError> {
        let membership = self.member_of(user, conversation, NOT_FOUND).await?;
        let is_root_here = self
            .deps
            .store
            .message(root)
            .await?
            .is_some_and(|m| m.is_root() && m.conversation_id == conversation);
        if !is_root_here {
            return Err(NO_ROOT);
        }
        Self::require(user, &membership, Action::Post)?;
        let now = self.now();
        self.deps
            .store
            .set_typing(conversation, root, user.id, typing_until(now, seconds), now)
            .await?;
        Ok(())
    }

    pub(super) async fn beat(
        &self,
        user: &User,
        status: Option<PresenceStatus>,
    ) -> Result<(), ConversationError> {
        self.deps
            .store
            .heartbeat(
                user.id,
                status.unwrap_or(PresenceStatus::Online),
                self.now(),
                self.deps.settings.presence,
            )
            .await?;
        Ok(())
    }
}
