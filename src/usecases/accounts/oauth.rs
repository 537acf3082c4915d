//! Sign-in with GitHub or Apple (§4.3): a single-use state bound to the
//! browser, the code exchanged by the provider's adapter, and the account
//! found by subject, linked by verified email, or made.

use std::sync::Arc;

use subtle::ConstantTimeEq;
use sybil_domain::Timestamp;
use sybil_domain::account::oauth::{username_base, username_candidate};
use sybil_domain::account::{OAuthProvider, Roles, User, token};
use sybil_ports::inbound::{AccountError, Login, OAuthError, OAuthReturn, OAuthStart};
use sybil_ports::outbound::{
    AccountWriteError, ExternalIdentity, IdentityError, IdentityLink, IdentityProvider, TakenField,
};

use super::AccountService;
use super::admin::taken;

/// How long a state may wait for the browser to come back.
const STATE_TTL_MS: i64 = 10 * 60 * 1000;
/// Usernames tried (`x`, `x-2`, …) before giving up on a new account.
const USERNAME_TRIES: u32 = 100;

/// Each provider: its adapter, or the variables still to set.
#[derive(Clone)]
pub struct OAuthProviders {
    pub github: Result<Arc<dyn IdentityProvider>, Vec<String>>,
    pub apple: Result<Arc<dyn IdentityProvider>, Vec<String>>,
}

impl OAuthProviders {
    pub(super) fn get(
        &self,
        provider: OAuthProvider,
    ) -> Result<&Arc<dyn IdentityProvider>, AccountError> {
        let configured = match provider {
            OAuthProvider::Github => &self.github,
            OAuthProvider::Apple => &self.apple,
        };
        configured.as_ref().map_err(|missing| {
            OAuthError::NotConfigured {
                provider,
                missing: missing.clone(),
            }
            .into()
        })
    }
}

fn same_text(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl AccountService {
    pub(super) async fn start_sign_in(
        &self,
        provider: OAuthProvider,
    ) -> Result<OAuthStart, AccountError> {
        let identity = self.identity(provider)?;
        let state = self.deps.tokens.token();
        let expires_at = Timestamp(self.now().0 + STATE_TTL_MS);
        self.deps
            .store
            .insert_oauth_state(&token::digest(&state), provider, expires_at)
            .await?;
        Ok(OAuthStart {
            auth_url: identity.authorize_url(&state),
            state,
        })
    }

    pub(super) async fn finish_sign_in(
        &self,
        provider: OAuthProvider,
        back: OAuthReturn,
    ) -> Result<Login, AccountError> {
        let identity = self.identity(provider)?.clone();
        self.check_state(provider, &back).await?;
        let code = match (&back.error, &back.code) {
            (None, Some(code)) if !code.is_empty() => code.clone(),
            _ => {
                return Err(OAuthError::InvalidCode {
                    provider_error: back.error.clone(),
                }
                .into());
            }
        };
        let external = identity
            .identify(&code, back.user.as_deref())
            .await
            .map_err(|e| {
                tracing::warn!(%provider, error = %e, "sign-in with the provider failed");
                AccountError::from(match e {
                    IdentityError::RejectedCode { provider_error } => {
                        OAuthError::InvalidCode { provider_error }
                    }
                    IdentityError::InvalidIdToken(_) => OAuthError::InvalidIdToken,
                    IdentityError::Provider(_) => OAuthError::Provider(provider),
                })
            })?;
        let user = self.resolve_account(provider, external).await?;
        if user.disabled {
            return Err(AccountError::Disabled);
        }
        let issued = self.open_session(&user).await?;
        Ok(Login { user, issued })
    }

    /// Step 1: the state matches the cookie (browser routes), and is a live
    /// state of this provider, which it stops being now whatever follows.
    async fn check_state(
        &self,
        provider: OAuthProvider,
        back: &OAuthReturn,
    ) -> Result<(), AccountError> {
        let Some(state) = &back.state else {
            return if back.browser {
                Err(OAuthError::InvalidState.into())
            } else {
                Ok(())
            };
        };
        let live = self
            .deps
            .store
            .consume_oauth_state(&token::digest(state), provider, self.now())
            .await?;
        let bound = !back.browser
            || back
                .state_cookie
                .as_deref()
                .is_some_and(|cookie| same_text(cookie, state));
        if live && bound {
            Ok(())
        } else {
            Err(OAuthError::InvalidState.into())
        }
    }

    /// The linked account; else the one with the verified email, linked now;
    /// else a new member.
    async fn resolve_account(
        &self,
        provider: OAuthProvider,
        external: ExternalIdentity,
    ) -> Result<User, AccountError> {
        let store = &self.deps.store;
        if let Some(id) = store.find_identity(provider, &external.subject).await? {
            return store
                .get_user(id)
                .await?
                .ok_or(AccountError::NotFound("user"));
        }
        let Some(email) = external.verified_email.clone() else {
            return Err(OAuthError::EmailRequired.into());
        };
        if let Some(user) = store.find_user_by_email(&email).await? {
            return match store
                .link_identity(user.id, provider, &external.subject, self.now())
                .await?
            {
                IdentityLink::Linked => Ok(user),
                IdentityLink::OtherSubject => Err(AccountError::Conflict {
                    message: format!(
                        "this account is already linked to another {} identity",
                        provider.title()
                    ),
                    field: None,
                }),
            };
        }
        if !store.any_user().await? {
            return Err(AccountError::Forbidden(
                "setup has not been completed".into(),
            ));
        }
        self.new_member(provider, external, email).await
    }

    async fn new_member(
        &self,
        provider: OAuthProvider,
        external: ExternalIdentity,
        email: String,
    ) -> Result<User, AccountError> {
        let local = email.split('@').next().unwrap_or_default();
        let base = username_base(external.login.as_deref().unwrap_or(local));
        let now = self.now();
        for n in 1..=USERNAME_TRIES {
            let user = User {
                id: self.deps.ids.new_id(),
                email: email.clone(),
                username: username_candidate(&base, n),
                display_name: external.display_name.clone(),
                roles: Roles::member(),
                disabled: false,
                password_hash: None,
                created_at: now,
                roles_changed_at: now,
                memberships_changed_at: now,
                last_seen_at: None,
            };
            match self
                .deps
                .store
                .create_user_with_identity(&user, provider, &external.subject)
                .await
            {
                Ok(()) => return Ok(user),
                Err(AccountWriteError::Taken(TakenField::Username)) => continue,
                Err(AccountWriteError::Taken(field)) => return Err(taken(field)),
                Err(AccountWriteError::Storage(e)) => return Err(e.into()),
            }
        }
        Err(taken(TakenField::Username))
    }
}
