//! Who the caller is, what they may reach, CSRF, and opening, rotating and
//! ending sessions.

use subtle::ConstantTimeEq;
use sybil_domain::Timestamp;
use sybil_domain::account::session::{self, ROTATION_GRACE_MS};
use sybil_domain::account::{RotationReason, Session, SessionCheck, token};
use sybil_ports::inbound::{
    AccountError, Caller, CsrfFailure, IssuedSession, RouteAccess, SignedIn,
};
use sybil_ports::outbound::StoredSession;
use uuid::Uuid;

use super::AccountService;

/// Step 4 of §1.4: whether `caller` may use a route that needs `access`.
pub(super) fn authorize(caller: &Caller, access: RouteAccess) -> Result<(), AccountError> {
    match (access, caller) {
        (RouteAccess::Anonymous, _) => Ok(()),
        (RouteAccess::Admin, c) if c.is_admin() => Ok(()),
        (RouteAccess::Admin, Caller::User(_)) => Err(AccountError::Forbidden(
            "this route needs the admin role".into(),
        )),
        (RouteAccess::Session | RouteAccess::User, Caller::User(_)) => Ok(()),
        (_, Caller::Service) => Err(AccountError::Forbidden(
            "this route needs a user session".into(),
        )),
        (_, Caller::Anonymous) => Err(AccountError::MissingSession),
    }
}

impl AccountService {
    /// Step 1 of §1.4: the bearer, else the session cookie, else nobody.
    pub(super) async fn caller(
        &self,
        bearer: Option<String>,
        session_token: Option<String>,
        access: RouteAccess,
    ) -> Result<Caller, AccountError> {
        if access == RouteAccess::Anonymous {
            return Ok(Caller::Anonymous);
        }
        if let Some(bearer) = bearer {
            let expected = self.deps.settings.admin_token.as_ref();
            let valid = expected
                .is_some_and(|t| bool::from(bearer.as_bytes().ct_eq(t.expose().as_bytes())));
            if !valid {
                return Err(AccountError::InvalidToken);
            }
            // The service has no session to log out, refresh or show.
            if access == RouteAccess::Session {
                return Err(AccountError::MissingSession);
            }
            return Ok(Caller::Service);
        }
        let Some(token_text) = session_token else {
            return Err(AccountError::MissingSession);
        };
        let signed_in = self.signed_in(&token_text).await?;
        Ok(Caller::User(Box::new(signed_in)))
    }

    /// Whether `session`, or the newest session of its rotations, still
    /// authenticates its (enabled) account.
    pub(super) async fn alive(&self, session: uuid::Uuid) -> Result<bool, AccountError> {
        // A rotation chain grows by one per half idle window: a long one
        // is followed only so far.
        const MOST_ROTATIONS: usize = 64;
        let store = &self.deps.store;
        let mut id = session;
        for _ in 0..MOST_ROTATIONS {
            let Some(stored) = store.get_session(id).await? else {
                return Ok(false);
            };
            if let Some(next) = stored.session.successor {
                id = next;
                continue;
            }
            let Some(user) = store.get_user(stored.session.user_id).await? else {
                return Ok(false);
            };
            let check = session::check(
                &stored.session,
                user.state(),
                self.deps.settings.windows,
                self.now(),
            );
            return Ok(matches!(
                check,
                SessionCheck::Valid { .. } | SessionCheck::Grace
            ));
        }
        Ok(false)
    }

    async fn signed_in(&self, token_text: &str) -> Result<SignedIn, AccountError> {
        let store = &self.deps.store;
        let Some(stored) = store.find_session(&token::digest(token_text)).await? else {
            return Err(AccountError::InvalidSession);
        };
        let Some(user) = store.get_user(stored.session.user_id).await? else {
            return Err(AccountError::InvalidSession);
        };
        let now = self.now();
        let check = session::check(
            &stored.session,
            user.state(),
            self.deps.settings.windows,
            now,
        );
        let (in_grace, rotation_due) = match check {
            SessionCheck::Invalid => return Err(AccountError::InvalidSession),
            SessionCheck::Disabled => {
                store.revoke_sessions(&[stored.session.id]).await?;
                return Err(AccountError::Disabled);
            }
            SessionCheck::Expired => {
                store.revoke_sessions(&[stored.session.id]).await?;
                return Err(AccountError::Expired);
            }
            SessionCheck::Grace => (true, None),
            SessionCheck::Valid { rotate } => (false, rotate),
        };
        Ok(SignedIn {
            user,
            session: stored.session,
            in_grace,
            rotation_due,
            csrf_digest: stored.csrf_digest,
        })
    }

    /// The request's `X-CSRF-TOKEN` against the session's token; within a
    /// rotation's grace the other session's token is accepted too.
    pub(super) async fn csrf(
        &self,
        signed_in: &SignedIn,
        header: Option<String>,
    ) -> Result<(), AccountError> {
        let Some(presented) = header else {
            return Err(AccountError::Csrf(CsrfFailure::Missing));
        };
        if token::matches(&presented, &signed_in.csrf_digest) {
            return Ok(());
        }
        if let Some(partner) = self.partner_in_grace(&signed_in.session).await?
            && token::matches(&presented, &partner.csrf_digest)
        {
            return Ok(());
        }
        Err(AccountError::Csrf(CsrfFailure::Mismatch))
    }

    /// The other session of a rotation whose grace is still running: the
    /// successor of a session in grace, or the predecessor of a new one.
    async fn partner_in_grace(
        &self,
        session: &Session,
    ) -> Result<Option<StoredSession>, AccountError> {
        let now = self.now();
        if session.grace_until.is_some_and(|until| now < until)
            && let Some(next) = session.successor
        {
            return Ok(self.deps.store.get_session(next).await?);
        }
        if let Some(previous) = session.predecessor {
            let stored = self.deps.store.get_session(previous).await?;
            return Ok(stored.filter(|p| {
                !p.session.revoked && p.session.grace_until.is_some_and(|until| now < until)
            }));
        }
        Ok(None)
    }

    /// New tokens and a stored session for `user_id`, opened at `now`.
    pub(super) fn new_session(
        &self,
        user_id: Uuid,
        times: sybil_domain::account::SessionTimes,
        predecessor: Option<Uuid>,
    ) -> (StoredSession, IssuedSession) {
        let token_text = self.deps.tokens.token();
        let csrf_text = self.deps.tokens.token();
        let session = Session {
            id: self.deps.ids.new_id(),
            user_id,
            times,
            revoked: false,
            grace_until: None,
            predecessor,
            successor: None,
        };
        let stored = StoredSession {
            session: session.clone(),
            token_digest: token::digest(&token_text),
            csrf_digest: token::digest(&csrf_text),
        };
        let issued = IssuedSession {
            session,
            token: token_text,
            csrf_token: csrf_text,
        };
        (stored, issued)
    }

    /// Opens a session for a sign-in.
    pub(super) async fn open_session(
        &self,
        user: &sybil_domain::account::User,
    ) -> Result<IssuedSession, AccountError> {
        let now = self.now();
        let (stored, issued) =
            self.new_session(user.id, self.deps.settings.windows.open(now), None);
        self.deps.store.insert_session(&stored).await?;
        // A sign-in counts as being seen (presence, §4.9); other requests do not.
        self.deps.store.touch_user(user.id, now).await?;
        Ok(issued)
    }

    /// Replaces the session; `None` when a concurrent request did first.
    pub(super) async fn rotate(
        &self,
        signed_in: &SignedIn,
        reason: RotationReason,
    ) -> Result<Option<IssuedSession>, AccountError> {
        let now = self.now();
        let old = &signed_in.session;
        let times = self
            .deps
            .settings
            .windows
            .rotate(now, old.times.absolute_expires_at);
        let (stored, issued) = self.new_session(old.user_id, times, Some(old.id));
        let grace_until = Timestamp(now.0 + ROTATION_GRACE_MS);
        if !self
            .deps
            .store
            .rotate_session(old.id, grace_until, &stored)
            .await?
        {
            return Ok(None);
        }
        sybil_metrics::record_session_rotation(reason.as_str());
        Ok(Some(issued))
    }

    pub(super) async fn refresh_now(
        &self,
        signed_in: &SignedIn,
    ) -> Result<IssuedSession, AccountError> {
        if signed_in.in_grace {
            return Err(AccountError::RotationRequired);
        }
        self.rotate(signed_in, RotationReason::Refresh)
            .await?
            .ok_or(AccountError::RotationRequired)
    }

    /// Revokes the session and the other one of a rotation in grace.
    pub(super) async fn end_session(&self, signed_in: &SignedIn) -> Result<(), AccountError> {
        let mut ids = vec![signed_in.session.id];
        if let Some(partner) = self.partner_in_grace(&signed_in.session).await? {
            ids.push(partner.session.id);
        }
        self.deps.store.revoke_sessions(&ids).await?;
        Ok(())
    }
}
