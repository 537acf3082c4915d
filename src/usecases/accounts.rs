//! Account use cases of `/api`: setup and sign-in, sessions with rotation
//! and CSRF, the admin's user routes, and sign-in with GitHub or Apple.
//! Every authorisation decision of these routes is taken here.

mod admin;
mod login;
mod oauth;
mod sessions;
#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use sybil_domain::account::{OAuthProvider, SessionWindows, User};
use sybil_domain::{Secret, Timestamp};
use sybil_ports::inbound::{
    AccountError, AccountUseCases, Caller, EditUser, IssuedSession, Login, NewUser, OAuthReturn,
    OAuthStart, RouteAccess, SignedIn, UserPage,
};
use sybil_ports::outbound::{
    AccountStore, Clock, IdGenerator, IdentityProvider, PasswordHasher, RateBuckets, TokenSource,
};
use uuid::Uuid;

pub use oauth::OAuthProviders;

/// The account settings of the configuration.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub windows: SessionWindows,
    pub admin_token: Option<Secret>,
    /// `LOGIN_ATTEMPTS_PER_IP_PER_MINUTE`.
    pub login_attempts_per_ip_per_minute: u32,
    /// `LOGIN_FAILURES_PER_ACCOUNT_PER_15_MINUTES`.
    pub login_failures_per_account: u32,
}

/// What the account use cases run on.
pub struct AccountDeps {
    pub store: Arc<dyn AccountStore>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenSource>,
    pub buckets: Arc<dyn RateBuckets>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub oauth: OAuthProviders,
    pub settings: AccountSettings,
}

pub struct AccountService {
    deps: AccountDeps,
}

impl AccountService {
    pub fn new(deps: AccountDeps) -> AccountService {
        AccountService { deps }
    }

    fn now(&self) -> Timestamp {
        self.deps.clock.now()
    }

    fn identity(
        &self,
        provider: OAuthProvider,
    ) -> Result<&Arc<dyn IdentityProvider>, AccountError> {
        self.deps.oauth.get(provider)
    }
}

#[async_trait]
impl AccountUseCases for AccountService {
    async fn is_setup(&self) -> Result<bool, AccountError> {
        Ok(self.deps.store.any_user().await?)
    }

    async fn setup(
        &self,
        username: String,
        email: String,
        password: String,
    ) -> Result<(), AccountError> {
        self.setup_first_admin(username, email, password).await
    }

    async fn admit_login_attempt(&self, client: IpAddr) -> Result<(), AccountError> {
        self.charge_address(client).await
    }

    async fn login(&self, login: String, password: String) -> Result<Login, AccountError> {
        self.password_login(login, password).await
    }

    async fn authenticate(
        &self,
        bearer: Option<String>,
        session_token: Option<String>,
        access: RouteAccess,
    ) -> Result<Caller, AccountError> {
        self.caller(bearer, session_token, access).await
    }

    fn authorize(&self, caller: &Caller, access: RouteAccess) -> Result<(), AccountError> {
        sessions::authorize(caller, access)
    }

    async fn check_csrf(
        &self,
        signed_in: &SignedIn,
        header: Option<String>,
    ) -> Result<(), AccountError> {
        self.csrf(signed_in, header).await
    }

    async fn rotate_if_due(
        &self,
        signed_in: &SignedIn,
    ) -> Result<Option<IssuedSession>, AccountError> {
        match signed_in.rotation_due {
            Some(reason) if !signed_in.in_grace => self.rotate(signed_in, reason).await,
            _ => Ok(None),
        }
    }

    async fn refresh(&self, signed_in: &SignedIn) -> Result<IssuedSession, AccountError> {
        self.refresh_now(signed_in).await
    }

    async fn session_alive(&self, session: Uuid) -> Result<bool, AccountError> {
        self.alive(session).await
    }

    async fn logout(&self, signed_in: &SignedIn) -> Result<(), AccountError> {
        self.end_session(signed_in).await
    }

    async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User, AccountError> {
        self.admin_create(caller, new).await
    }

    async fn list_users(
        &self,
        caller: &Caller,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> Result<UserPage, AccountError> {
        self.admin_list(caller, cursor, limit).await
    }

    async fn update_user(
        &self,
        caller: &Caller,
        id: Uuid,
        edit: EditUser,
    ) -> Result<User, AccountError> {
        self.admin_update(caller, id, edit).await
    }

    async fn oauth_start(&self, provider: OAuthProvider) -> Result<OAuthStart, AccountError> {
        self.start_sign_in(provider).await
    }

    async fn oauth_finish(
        &self,
        provider: OAuthProvider,
        back: OAuthReturn,
    ) -> Result<Login, AccountError> {
        self.finish_sign_in(provider, back).await
    }

    fn oauth_configured(&self, provider: OAuthProvider) -> Result<(), AccountError> {
        self.identity(provider).map(|_| ())
    }
}
