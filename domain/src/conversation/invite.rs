//! Invites (§4.6): how long they last, and what accepting one does, in the
//! contract's order.

use uuid::Uuid;

use super::permissions::ConversationRole;
use crate::Timestamp;

/// `ttl_seconds` bounds: 1 second to 7 days, 7 days by default.
pub const MAX_TTL_SECONDS: i64 = 604_800;

/// The lifetime asked for, or the field error's message.
pub fn ttl_seconds(asked: Option<i64>) -> Result<i64, String> {
    match asked {
        None => Ok(MAX_TTL_SECONDS),
        Some(s) if (1..=MAX_TTL_SECONDS).contains(&s) => Ok(s),
        Some(_) => Err(format!("ttl_seconds must be from 1 to {MAX_TTL_SECONDS}")),
    }
}

/// A stored invite (its token only as a digest, elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub role: ConversationRole,
    /// Only this email (compared without regard to case) may accept.
    pub email: Option<String>,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub accepted_by: Option<Uuid>,
}

/// What accepting an invite comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteAcceptance {
    /// The caller accepted it before: 200, nothing changes.
    AlreadyAccepted,
    /// 410 "invite revoked".
    Revoked,
    /// 410 "invite expired".
    Expired,
    /// 410 "invite already used".
    UsedByOther,
    /// 403 "invite is for another email address".
    OtherEmail,
    /// 409 "already a participant"; the invite stays unused.
    AlreadyParticipant,
    /// The caller joins with the invite's role.
    Join,
}

impl Invite {
    /// Decides an acceptance by `user` (with `email`) at `now`; `member`
    /// says whether the user is an active participant already.
    pub fn accept(
        &self,
        user: Uuid,
        email: &str,
        member: bool,
        now: Timestamp,
    ) -> InviteAcceptance {
        if self.accepted_by == Some(user) {
            return InviteAcceptance::AlreadyAccepted;
        }
        if self.revoked_at.is_some() {
            return InviteAcceptance::Revoked;
        }
        if now >= self.expires_at {
            return InviteAcceptance::Expired;
        }
        if self.accepted_by.is_some() {
            return InviteAcceptance::UsedByOther;
        }
        if let Some(bound) = &self.email
            && bound.to_lowercase() != email.to_lowercase()
        {
            return InviteAcceptance::OtherEmail;
        }
        if member {
            return InviteAcceptance::AlreadyParticipant;
        }
        InviteAcceptance::Join
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Invite {
        Invite {
            id: Uuid::nil(),
            conversation_id: Uuid::nil(),
            role: ConversationRole::Member,
            email: None,
            expires_at: Timestamp(1_000),
            revoked_at: None,
            accepted_by: None,
        }
    }

    const ME: Uuid = Uuid::from_u128(1);
    const OTHER: Uuid = Uuid::from_u128(2);

    #[test]
    fn ttl_defaults_to_a_week_and_is_bounded() {
        assert_eq!(ttl_seconds(None), Ok(604_800));
        assert_eq!(ttl_seconds(Some(1)), Ok(1));
        assert_eq!(ttl_seconds(Some(604_800)), Ok(604_800));
        assert!(ttl_seconds(Some(0)).unwrap_err().contains("604800"));
        assert!(ttl_seconds(Some(604_801)).is_err());
        assert!(ttl_seconds(Some(-5)).is_err());
    }

    #[test]
    fn a_live_invite_lets_a_newcomer_join() {
        assert_eq!(
            invite().accept(ME, "me@x.org", false, Timestamp(999)),
            InviteAcceptance::Join
        );
    }

    #[test]
    fn accepting_again_is_idempotent_even_after_revocation_or_expiry() {
        let mut i = invite();
        i.accepted_by = Some(ME);
        i.revoked_at = Some(Timestamp(5));
        assert_eq!(
            i.accept(ME, "me@x.org", true, Timestamp(5_000)),
            InviteAcceptance::AlreadyAccepted
        );
    }

    #[test]
    fn revoked_expired_and_used_are_gone_in_that_order() {
        let mut i = invite();
        i.revoked_at = Some(Timestamp(1));
        i.accepted_by = Some(OTHER);
        assert_eq!(
            i.accept(ME, "me@x.org", false, Timestamp(2_000)),
            InviteAcceptance::Revoked
        );
        i.revoked_at = None;
        assert_eq!(
            i.accept(ME, "me@x.org", false, Timestamp(1_000)),
            InviteAcceptance::Expired
        );
        assert_eq!(
            i.accept(ME, "me@x.org", false, Timestamp(10)),
            InviteAcceptance::UsedByOther
        );
    }

    #[test]
    fn an_email_bound_invite_needs_that_email_regardless_of_case() {
        let mut i = invite();
        i.email = Some("Ann@Example.org".into());
        assert_eq!(
            i.accept(ME, "bob@example.org", false, Timestamp(1)),
            InviteAcceptance::OtherEmail
        );
        assert_eq!(
            i.accept(ME, "ann@EXAMPLE.org", false, Timestamp(1)),
            InviteAcceptance::Join
        );
    }

    #[test]
    fn a_participant_cannot_use_an_invite() {
        assert_eq!(
            invite().accept(ME, "me@x.org", true, Timestamp(1)),
            InviteAcceptance::AlreadyParticipant
        );
    }
}
