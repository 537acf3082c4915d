//! Accounts of the multi-user API (`/api`): users and their global roles,
//! the field rules, sessions and their windows, sign-in throttling (GCRA),
//! outside identity providers, and who the client is behind trusted proxies.

pub mod client_addr;
pub mod fields;
pub mod oauth;
pub mod roles;
pub mod session;
pub mod token;

pub use crate::rate_limit::{Gcra, GcraDecision};
pub use client_addr::TrustedProxies;
pub use fields::{FieldError, NewAccount};
pub use oauth::OAuthProvider;
pub use roles::{Roles, UserRole};
pub use session::{
    AccountState, RotationReason, Session, SessionCheck, SessionTimes, SessionWindows,
};

use uuid::Uuid;

use crate::Timestamp;

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub username: String,
    pub display_name: Option<String>,
    pub roles: Roles,
    pub disabled: bool,
    /// Argon2id PHC string; `None` for accounts made by an outside sign-in.
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
    /// When the global roles, or any membership, last changed: a session
    /// issued before either is rotated at its next request.
    pub roles_changed_at: Timestamp,
    pub memberships_changed_at: Timestamp,
    /// The last sign-in, heartbeat or request (presence); `None` until then.
    pub last_seen_at: Option<Timestamp>,
}

impl User {
    /// An admin who can act: has `admin` and is not disabled.
    pub fn is_active_admin(&self) -> bool {
        self.roles.is_admin() && !self.disabled
    }

    /// What the account says about its sessions.
    pub fn state(&self) -> AccountState {
        AccountState {
            disabled: self.disabled,
            roles_changed_at: self.roles_changed_at,
            memberships_changed_at: self.memberships_changed_at,
        }
    }
}
