//! Invites (§4.6): a random token shown once, stored as its SHA-256.

use sybil_domain::Timestamp;
use sybil_domain::account::{FieldError, User, fields, token};
use sybil_domain::conversation::invite::ttl_seconds;
use sybil_domain::conversation::permissions::Action;
use sybil_domain::conversation::{Invite, InviteAcceptance};

use sybil_ports::inbound::{ConversationError, IssuedInvite, NewInvite};
use sybil_ports::outbound::{AcceptOutcome, StoredInvite};
use uuid::Uuid;

use super::{ConversationService, NOT_FOUND};

const UNKNOWN: ConversationError = ConversationError::NotFound("invite not found");

impl ConversationService {
    pub(super) async fn invite(
        &self,
        user: &User,
        conversation: Uuid,
        new: NewInvite,
    ) -> Result<IssuedInvite, ConversationError> {
        let membership = self.member_of(user, conversation, NOT_FOUND).await?;
        Self::require(user, &membership, Action::Invite { role: new.role })?;
        let ttl = ttl_seconds(new.ttl_seconds).map_err(|m| FieldError::new("ttl_seconds", m))?;
        let email = new.email.as_deref().map(fields::email).transpose()?;
        let now = self.now();
        let token = self.deps.tokens.token();
        let expires_at = Timestamp(now.millis() + ttl * 1000);
        let stored = StoredInvite {
            invite: Invite {
                id: self.deps.ids.new_id(),
                conversation_id: conversation,
                role: new.role,
                email,
                expires_at,
                revoked_at: None,
                accepted_by: None,
            },
            token_digest: token::digest(&token),
            created_by: user.id,
            created_at: now,
        };
        self.deps.store.create_invite(&stored).await?;
        Ok(IssuedInvite { token, expires_at })
    }

    pub(super) async fn accept(&self, user: &User, token: &str) -> Result<Uuid, ConversationError> {
        let digest = token::digest(token);
        // A second round only when a concurrent change raced this one.
        for _ in 0..2 {
            let invite = self.deps.store.find_invite(&digest).await?.ok_or(UNKNOWN)?;
            let member = self
                .deps
                .store
                .membership(invite.conversation_id, user.id)
                .await?
                .is_some();
            let now = self.now();
            match invite.accept(user.id, &user.email, member, now) {
                InviteAcceptance::AlreadyAccepted => return Ok(invite.conversation_id),
                InviteAcceptance::Revoked => return Err(ConversationError::Gone("invite revoked")),
                InviteAcceptance::Expired => return Err(ConversationError::Gone("invite expired")),
                InviteAcceptance::UsedByOther => {
                    return Err(ConversationError::Gone("invite already used"));
                }
                InviteAcceptance::OtherEmail => {
                    return Err(ConversationError::Forbidden(
                        "invite is for another email address",
                    ));
                }
                InviteAcceptance::AlreadyParticipant => {
                    return Err(ConversationError::Conflict("already a participant"));
                }
                InviteAcceptance::Join => {}
            }
            let presence = self.shown_presence(user.id).await?;
            match self
                .deps
                .store
                .accept_invite(&invite, user.id, now, presence)
                .await?
            {
                AcceptOutcome::Joined => return Ok(invite.conversation_id),
                AcceptOutcome::Raced => continue,
            }
        }
        Err(ConversationError::Conflict(
            "the invite changed while it was being accepted; try again",
        ))
    }

    pub(super) async fn revoke(&self, user: &User, token: &str) -> Result<(), ConversationError> {
        let invite = self
            .deps
            .store
            .find_invite(&token::digest(token))
            .await?
            .ok_or(UNKNOWN)?;
        let membership = self
            .member_of(user, invite.conversation_id, UNKNOWN)
            .await?;
        Self::require(user, &membership, Action::RevokeInvite)?;
        self.deps.store.revoke_invite(invite.id, self.now()).await?;
        Ok(())
    }
}
