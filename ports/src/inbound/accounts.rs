//! Account use cases of `/api`: setup, sign-in and sessions, the admin's
//! user routes, and sign-in with GitHub or Apple.

use std::net::IpAddr;

use async_trait::async_trait;
use sybil_domain::account::{FieldError, OAuthProvider, RotationReason, Session, User, UserRole};
use uuid::Uuid;

use crate::outbound::StorageError;

/// Who is calling (§3.1), as the core decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// `Authorization: Bearer <ADMIN_TOKEN>`: a global admin without a user.
    Service,
    User(Box<SignedIn>),
}

impl Caller {
    /// Passes the global-admin checks: the service, or a user with `admin`.
    pub fn is_admin(&self) -> bool {
        match self {
            Caller::Service => true,
            Caller::User(u) => u.user.roles.is_admin(),
            Caller::Anonymous => false,
        }
    }
}

/// A user authenticated by a session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
    /// The presented token was rotated and is within its grace.
    pub in_grace: bool,
    /// Why the session should be rotated on this request, if it should.
    pub rotation_due: Option<RotationReason>,
    /// The stored digest of the session's CSRF token.
    pub csrf_digest: String,
}

/// A session just opened or rotated, with its tokens (shown once, as cookies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSession {
    pub session: Session,
    pub token: String,
    pub csrf_token: String,
}

/// A sign-in's result: the account and its new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: User,
    pub issued: IssuedSession,
}

/// What a route needs from its caller before anything else is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess {
    /// Setup, login, OAuth: credentials are ignored.
    Anonymous,
    /// `/api/auth/logout`, `/refresh`, `/me`: a session, never the service.
    Session,
    /// A user session (the service is refused).
    User,
    /// A user with `admin`, or the service.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFailure {
    Missing,
    Mismatch,
}

/// Why an OAuth callback cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("{} sign-in is not configured: set {}", .provider.title(), .missing.join(", "))]
    NotConfigured {
        provider: OAuthProvider,
        missing: Vec<String>,
    },
    #[error("invalid or expired state")]
    InvalidState,
    #[error("the authorization code is missing or was rejected")]
    InvalidCode { provider_error: Option<String> },
    #[error("the id_token failed verification")]
    InvalidIdToken,
    #[error("{} did not answer as expected", .0.title())]
    Provider(OAuthProvider),
    #[error("a verified email is required to sign in")]
    EmailRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("missing session")]
    MissingSession,
    #[error("invalid session")]
    InvalidSession,
    #[error("session expired")]
    Expired,
    #[error("account disabled")]
    Disabled,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("invalid bearer token")]
    InvalidToken,
    #[error("{}", match .0 { CsrfFailure::Missing => "missing CSRF header token", CsrfFailure::Mismatch => "CSRF token mismatch" })]
    Csrf(CsrfFailure),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("setup has already been completed")]
    SetupCompleted,
    /// A value breaks a rule (400 `validation_failed`).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// A body that is the right shape but empty where it must not be (422).
    #[error("{message}")]
    InvalidRequest {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<&'static str>,
    },
    #[error("session already rotated; retry with the newest cookie")]
    RotationRequired,
    #[error("too many attempts")]
    RateLimited { retry_after_seconds: u64 },
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A new account from the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub roles: Option<Vec<UserRole>>,
}

/// The admin's change; `None` keeps a field, `display_name: Some("")` clears.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditUser {
    pub display_name: Option<String>,
    pub roles: Option<Vec<UserRole>>,
    pub disabled: Option<bool>,
}

/// A page of accounts, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
}

/// A browser or app returning from a provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthReturn {
    pub code: Option<String>,
    /// The `state` parameter.
    pub state: Option<String>,
    /// The `OAUTH_STATE` cookie; `None` on the manual route, which checks a
    /// given state without one.
    pub state_cookie: Option<String>,
    /// Whether the state is bound to a cookie (the browser callbacks).
    pub browser: bool,
    /// The provider's `error` parameter.
    pub error: Option<String>,
    /// Apple's `user` form field.
    pub user: Option<String>,
}

/// Where to send the browser, and the state to bind to it by cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthStart {
    pub auth_url: String,
    pub state: String,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AccountUseCases: Send + Sync {
    /// Whether any account exists.
    async fn is_setup(&self) -> Result<bool, AccountError>;

    /// The first account, with roles `admin` and `member`.
    async fn setup(
        &self,
        username: String,
        email: String,
        password: String,
    ) -> Result<(), AccountError>;

    /// Charges a login attempt to `client`'s bucket (§3.5), before the
    /// body is read: 429 once the address has tried too often.
    async fn admit_login_attempt(&self, client: IpAddr) -> Result<(), AccountError>;

    /// Signs in by email or username.
    async fn login(&self, login: String, password: String) -> Result<Login, AccountError>;

    /// The caller behind a bearer token or session cookie, for a route that
    /// needs `access`: 401 or 423 when it cannot be known (step 1 of §1.4).
    async fn authenticate(
        &self,
        bearer: Option<String>,
        session_token: Option<String>,
        access: RouteAccess,
    ) -> Result<Caller, AccountError>;

    /// Whether `caller` may use a route that needs `access` (step 4): 403 if not.
    fn authorize(&self, caller: &Caller, access: RouteAccess) -> Result<(), AccountError>;

    /// The CSRF check of a state-changing request by `signed_in`.
    async fn check_csrf(
        &self,
        signed_in: &SignedIn,
        header: Option<String>,
    ) -> Result<(), AccountError>;

    /// Rotates the session when due (`rotation_due`); `None` when it was not
    /// due or a concurrent request rotated it first.
    async fn rotate_if_due(
        &self,
        signed_in: &SignedIn,
    ) -> Result<Option<IssuedSession>, AccountError>;

    /// Rotates now (`POST /api/auth/refresh`).
    async fn refresh(&self, signed_in: &SignedIn) -> Result<IssuedSession, AccountError>;

    /// Whether the session that opened a stream is still good: it or the
    /// session that replaced it by rotation, unexpired, unrevoked, its
    /// account enabled (§6.1).
    async fn session_alive(&self, session: Uuid) -> Result<bool, AccountError>;

    /// Ends the session (and the other one of a rotation still in grace).
    async fn logout(&self, signed_in: &SignedIn) -> Result<(), AccountError>;

    async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User, AccountError>;

    async fn list_users(
        &self,
        caller: &Caller,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> Result<UserPage, AccountError>;

    async fn update_user(
        &self,
        caller: &Caller,
        id: Uuid,
        edit: EditUser,
    ) -> Result<User, AccountError>;

    /// Starts a sign-in with `provider`.
    async fn oauth_start(&self, provider: OAuthProvider) -> Result<OAuthStart, AccountError>;

    /// Finishes one: the state checked and consumed, the code exchanged, the
    /// account found, linked or made, and a session opened.
    async fn oauth_finish(
        &self,
        provider: OAuthProvider,
        back: OAuthReturn,
    ) -> Result<Login, AccountError>;

    /// Refuses early, with the variables to set, when `provider` is not configured.
    fn oauth_configured(&self, provider: OAuthProvider) -> Result<(), AccountError>;
}
