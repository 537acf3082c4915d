//! Setup of the first admin, and sign-in by password with its two
//! throttles (§3.5): per client address, and per account key.

use std::net::IpAddr;

use sybil_domain::account::fields::LoginName;
use sybil_domain::account::{Gcra, GcraDecision, NewAccount, Roles, User};
use sybil_ports::inbound::{AccountError, Login};
use sybil_ports::outbound::{AccountWriteError, BucketsUnavailable};

use super::AccountService;

/// One bucket's verdict: admitted, or refused with the seconds to wait.
/// Buckets that cannot be reached admit (§7.4: fail open).
fn refused(decided: Result<GcraDecision, BucketsUnavailable>) -> Option<AccountError> {
    let decision = decided.ok()?;
    (!decision.allowed).then_some(AccountError::RateLimited {
        retry_after_seconds: decision.retry_after_seconds,
    })
}

impl AccountService {
    pub(super) async fn setup_first_admin(
        &self,
        username: String,
        email: String,
        password: String,
    ) -> Result<(), AccountError> {
        if self.deps.store.any_user().await? {
            return Err(AccountError::SetupCompleted);
        }
        let account = NewAccount::check(&email, &username, &password, None, None)?;
        let now = self.now();
        let user = User {
            id: self.deps.ids.new_id(),
            email: account.email,
            username: account.username,
            display_name: None,
            roles: Roles::setup(),
            disabled: false,
            password_hash: Some(self.deps.passwords.hash(password).await),
            created_at: now,
            roles_changed_at: now,
            memberships_changed_at: now,
            last_seen_at: None,
        };
        match self.deps.store.create_first_user(&user).await {
            Ok(true) => Ok(()),
            // Another setup, or an account made by the service, came first.
            Ok(false) | Err(AccountWriteError::Taken(_)) => Err(AccountError::SetupCompleted),
            Err(AccountWriteError::Storage(e)) => Err(e.into()),
        }
    }

    fn per_address(&self) -> Option<Gcra> {
        let n = self.deps.settings.login_attempts_per_ip_per_minute;
        (n > 0).then(|| Gcra {
            requests_per_second: f64::from(n) / 60.0,
            burst: n,
        })
    }

    fn per_account(&self) -> Option<Gcra> {
        let n = self.deps.settings.login_failures_per_account;
        (n > 0).then(|| Gcra {
            requests_per_second: f64::from(n) / (15.0 * 60.0),
            burst: n,
        })
    }

    /// Every attempt counts against the address, before anything else.
    pub(super) async fn charge_address(&self, client: IpAddr) -> Result<(), AccountError> {
        let Some(limit) = self.per_address() else {
            return Ok(());
        };
        let now_us = self.now().0 * 1_000;
        let key = format!("login:ip:{client}");
        match refused(self.deps.buckets.decide(&key, limit, now_us, true).await) {
            Some(e) => {
                sybil_metrics::record_login("rate_limited");
                Err(e)
            }
            None => Ok(()),
        }
    }

    pub(super) async fn password_login(
        &self,
        login: String,
        password: String,
    ) -> Result<Login, AccountError> {
        let result = self.try_login(login, password).await;
        sybil_metrics::record_login(match &result {
            Ok(_) => "success",
            Err(AccountError::RateLimited { .. }) => "rate_limited",
            Err(AccountError::Disabled) => "disabled",
            Err(_) => "invalid_credentials",
        });
        result
    }

    async fn try_login(&self, login: String, password: String) -> Result<Login, AccountError> {
        let now_us = self.now().0 * 1_000;
        let buckets = &self.deps.buckets;
        let name = login.trim();
        if name.is_empty() || password.is_empty() {
            return Err(AccountError::InvalidRequest {
                field: if name.is_empty() { "email" } else { "password" },
                message: "email and password are required".into(),
            });
        }
        let account_key = format!("login:account:{}", name.to_lowercase());
        let per_account = self.per_account();
        if let Some(limit) = per_account
            && let Some(e) = refused(buckets.decide(&account_key, limit, now_us, false).await)
        {
            return Err(e);
        }
        let user = match LoginName::parse(name) {
            LoginName::Email(email) => self.deps.store.find_user_by_email(&email).await?,
            LoginName::Username(username) => {
                self.deps.store.find_user_by_username(&username).await?
            }
        };
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        // Without an account the hasher does the same work on a stand-in.
        let matched = self.deps.passwords.verify(password, hash).await;
        let user = match user {
            Some(user) if matched => user,
            _ => {
                if let Some(limit) = per_account {
                    // Unreachable buckets count nothing (fail open).
                    let _ = buckets.decide(&account_key, limit, now_us, true).await;
                }
                return Err(AccountError::InvalidCredentials);
            }
        };
        if user.disabled {
            return Err(AccountError::Disabled);
        }
        let issued = self.open_session(&user).await?;
        Ok(Login { user, issued })
    }
}
