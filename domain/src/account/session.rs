//! Sessions (§3.3): their windows, what a presented session is worth, and
//! when one must be rotated.

use uuid::Uuid;

use crate::Timestamp;

/// How long a previous token still authenticates after a rotation.
pub const ROTATION_GRACE_MS: i64 = 10_000;

/// `SESSION_IDLE_SECONDS` and `SESSION_ABSOLUTE_SECONDS`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionWindows {
    pub idle_ms: i64,
    pub absolute_ms: i64,
}

/// The instants of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub issued_at: Timestamp,
    /// The idle deadline; never past the absolute one.
    pub expires_at: Timestamp,
    pub absolute_expires_at: Timestamp,
}

impl SessionWindows {
    /// A session opened by a sign-in at `now`.
    pub fn open(&self, now: Timestamp) -> SessionTimes {
        let absolute = Timestamp(now.0 + self.absolute_ms);
        self.rotate(now, absolute)
    }

    /// The successor of a session whose absolute deadline is `absolute`.
    pub fn rotate(&self, now: Timestamp, absolute: Timestamp) -> SessionTimes {
        SessionTimes {
            issued_at: now,
            expires_at: Timestamp((now.0 + self.idle_ms).min(absolute.0)),
            absolute_expires_at: absolute,
        }
    }
}

/// A stored session (tokens are stored as digests, elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub times: SessionTimes,
    pub revoked: bool,
    /// Set once rotated: until then the token still authenticates.
    pub grace_until: Option<Timestamp>,
    /// The session this one replaced, if it was made by a rotation.
    pub predecessor: Option<Uuid>,
    /// The session that replaced this one, once rotated.
    pub successor: Option<Uuid>,
}

/// Why a session is rotated (the metric's `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationReason {
    Refresh,
    Idle,
    Roles,
    Membership,
}

impl RotationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RotationReason::Refresh => "refresh",
            RotationReason::Idle => "idle",
            RotationReason::Roles => "roles",
            RotationReason::Membership => "membership",
        }
    }
}

/// What a presented session is worth, checked in the contract's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Unknown, revoked, or rotated and past its grace: 401 invalid.
    Invalid,
    /// The account is disabled: 423, and the session is revoked.
    Disabled,
    /// Past its idle or absolute deadline: 401 expired, and revoked.
    Expired,
    /// Rotated, within its grace: authenticates, never rotates again.
    Grace,
    /// Good; rotate first when a reason is given.
    Valid { rotate: Option<RotationReason> },
}

/// What the account says about its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    pub disabled: bool,
    pub roles_changed_at: Timestamp,
    pub memberships_changed_at: Timestamp,
}

/// Judges `session` (of an account in `account`) at `now`.
pub fn check(
    session: &Session,
    account: AccountState,
    windows: SessionWindows,
    now: Timestamp,
) -> SessionCheck {
    if session.revoked || session.grace_until.is_some_and(|until| now >= until) {
        return SessionCheck::Invalid;
    }
    if account.disabled {
        return SessionCheck::Disabled;
    }
    let t = session.times;
    if now >= t.expires_at || now >= t.absolute_expires_at {
        return SessionCheck::Expired;
    }
    if session.grace_until.is_some() {
        return SessionCheck::Grace;
    }
    let rotate = if account.roles_changed_at > t.issued_at {
        Some(RotationReason::Roles)
    } else if account.memberships_changed_at > t.issued_at {
        Some(RotationReason::Membership)
    } else if (t.expires_at.0 - now.0) * 2 < windows.idle_ms {
        Some(RotationReason::Idle)
    } else {
        None
    };
    SessionCheck::Valid { rotate }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: SessionWindows = SessionWindows {
        idle_ms: 1_000,
        absolute_ms: 10_000,
    };

    fn account() -> AccountState {
        AccountState {
            disabled: false,
            roles_changed_at: Timestamp(0),
            memberships_changed_at: Timestamp(0),
        }
    }

    fn session(now: i64) -> Session {
        Session {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            times: W.open(Timestamp(now)),
            revoked: false,
            grace_until: None,
            predecessor: None,
            successor: None,
        }
    }

    #[test]
    fn opening_sets_both_deadlines() {
        let t = W.open(Timestamp(100));
        assert_eq!(t.issued_at, Timestamp(100));
        assert_eq!(t.expires_at, Timestamp(1_100));
        assert_eq!(t.absolute_expires_at, Timestamp(10_100));
    }

    #[test]
    fn rotation_never_passes_the_absolute_deadline() {
        let t = W.rotate(Timestamp(9_500), Timestamp(10_000));
        assert_eq!(t.expires_at, Timestamp(10_000));
        assert_eq!(t.absolute_expires_at, Timestamp(10_000));
        let t = W.rotate(Timestamp(5_000), Timestamp(10_000));
        assert_eq!(t.expires_at, Timestamp(6_000));
    }

    #[test]
    fn a_fresh_session_is_valid_without_rotation() {
        assert_eq!(
            check(&session(0), account(), W, Timestamp(10)),
            SessionCheck::Valid { rotate: None }
        );
    }

    #[test]
    fn less_than_half_the_idle_window_left_rotates() {
        let s = session(0);
        assert_eq!(
            check(&s, account(), W, Timestamp(500)),
            SessionCheck::Valid { rotate: None }
        );
        assert_eq!(
            check(&s, account(), W, Timestamp(501)),
            SessionCheck::Valid {
                rotate: Some(RotationReason::Idle)
            }
        );
    }

    #[test]
    fn deadlines_expire_the_session() {
        let s = session(0);
        assert_eq!(
            check(&s, account(), W, Timestamp(999)),
            SessionCheck::Valid {
                rotate: Some(RotationReason::Idle)
            }
        );
        assert_eq!(
            check(&s, account(), W, Timestamp(1_000)),
            SessionCheck::Expired
        );
        let mut late = session(0);
        late.times.expires_at = Timestamp(20_000);
        assert_eq!(
            check(&late, account(), W, Timestamp(10_000)),
            SessionCheck::Expired
        );
    }

    #[test]
    fn revoked_comes_before_disabled_before_expired() {
        let mut s = session(0);
        let disabled = AccountState {
            disabled: true,
            ..account()
        };
        assert_eq!(
            check(&s, disabled, W, Timestamp(5_000)),
            SessionCheck::Disabled
        );
        s.revoked = true;
        assert_eq!(
            check(&s, disabled, W, Timestamp(5_000)),
            SessionCheck::Invalid
        );
    }

    #[test]
    fn a_rotated_session_has_ten_seconds_of_grace() {
        let mut s = session(0);
        s.times.expires_at = Timestamp(100_000);
        s.times.absolute_expires_at = Timestamp(100_000);
        s.grace_until = Some(Timestamp(20));
        assert_eq!(check(&s, account(), W, Timestamp(19)), SessionCheck::Grace);
        assert_eq!(
            check(&s, account(), W, Timestamp(20)),
            SessionCheck::Invalid
        );
    }

    #[test]
    fn role_or_membership_changes_after_issue_rotate() {
        let s = session(100);
        let roles = AccountState {
            roles_changed_at: Timestamp(101),
            ..account()
        };
        assert_eq!(
            check(&s, roles, W, Timestamp(102)),
            SessionCheck::Valid {
                rotate: Some(RotationReason::Roles)
            }
        );
        let members = AccountState {
            memberships_changed_at: Timestamp(150),
            ..account()
        };
        assert_eq!(
            check(&s, members, W, Timestamp(160)),
            SessionCheck::Valid {
                rotate: Some(RotationReason::Membership)
            }
        );
        let before = AccountState {
            roles_changed_at: Timestamp(100),
            ..account()
        };
        assert_eq!(
            check(&s, before, W, Timestamp(160)),
            SessionCheck::Valid { rotate: None }
        );
    }
}
