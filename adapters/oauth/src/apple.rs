//! `AppleSignIn`: Sign in with Apple — the code is exchanged with a minted
//! client secret, and the identity is read from the verified `id_token`
//! (Apple has no user endpoint) plus the `user` field of a first sign-in.

mod client_secret;
mod id_token;
mod jwks;
mod user;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sybil_domain::Secret;
use sybil_ports::outbound::{Clock, ExternalIdentity, IdentityError, IdentityProvider};

use crate::http::Step;
use crate::query::encode;
use crate::setup::{OAuthSetupError, base, client};
use client_secret::{ClientSecretSigner, SignerParts};
use jwks::Jwks;

const PROVIDER: &str = "apple";
/// The name and the email: all a sign-in reads.
const SCOPE: &str = "name%20email";
const TOKEN: Step = Step::new(PROVIDER, "token");

/// What Apple sign-in needs (`APPLE_CLIENT_ID`, `APPLE_TEAM_ID`,
/// `APPLE_KEY_ID`, `APPLE_REDIRECT_URI`, the key from
/// `APPLE_PRIVATE_KEY_PATH` or `APPLE_PRIVATE_KEY_B64`, `APPLE_BASE_URL`).
#[derive(Debug, Clone)]
pub struct AppleSettings {
    /// The Services ID.
    pub client_id: String,
    pub team_id: String,
    /// The id of the `.p8` key.
    pub key_id: String,
    pub redirect_uri: String,
    /// The `.p8` file's text: an EC P-256 private key, PKCS#8 PEM.
    pub private_key_pem: Secret,
    /// `https://appleid.apple.com` in production: the endpoints' base, the
    /// id_token's issuer and the client secret's audience.
    pub base_url: String,
    /// Per request, connect to last byte.
    pub timeout: Duration,
}

/// Apple as an identity provider; cheap to share (`Arc`).
pub struct AppleSignIn {
    http: reqwest::Client,
    client_id: String,
    redirect_uri: String,
    base: String,
    signer: ClientSecretSigner,
    jwks: Jwks,
    clock: Arc<dyn Clock>,
}

impl AppleSignIn {
    /// # Errors
    /// When the key is not an EC P-256 PKCS#8 PEM key (the message never
    /// quotes it), the base URL is not http(s), or the client cannot start.
    pub fn new(settings: AppleSettings, clock: Arc<dyn Clock>) -> Result<Self, OAuthSetupError> {
        let base = base(PROVIDER, "APPLE_BASE_URL", &settings.base_url)?;
        let signer = ClientSecretSigner::new(&SignerParts {
            private_key_pem: &settings.private_key_pem,
            key_id: &settings.key_id,
            team_id: &settings.team_id,
            client_id: &settings.client_id,
            audience: &base,
        })?;
        Ok(AppleSignIn {
            http: client(PROVIDER, settings.timeout)?,
            jwks: Jwks::new(format!("{base}/auth/keys")),
            client_id: settings.client_id,
            redirect_uri: settings.redirect_uri,
            base,
            signer,
            clock,
        })
    }

    /// The `id_token` for `code`. Apple refuses a code with a 400
    /// `invalid_grant`; any other refusal (`invalid_client`: a bad key or
    /// ids) is our configuration's fault, so a `Provider` error.
    async fn exchange(&self, code: &str) -> Result<String, IdentityError> {
        let secret = self
            .signer
            .sign(self.clock.now())
            .map_err(|e| TOKEN.fail(format!("cannot sign the client secret: {e}"), &[code]))?;
        let hidden = [secret.expose(), code];
        let request = self
            .http
            .post(format!("{}/auth/token", self.base))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", secret.expose()),
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", self.redirect_uri.as_str()),
            ]);
        let answer = TOKEN.send(request, &hidden).await?;
        if answer.status == reqwest::StatusCode::BAD_REQUEST
            && serde_json::from_slice::<Value>(&answer.body)
                .is_ok_and(|b| b.get("error").and_then(Value::as_str) == Some("invalid_grant"))
        {
            return Err(IdentityError::RejectedCode {
                provider_error: Some("invalid_grant".to_string()),
            });
        }
        if !answer.status.is_success() {
            return Err(TOKEN.status(&answer, &hidden));
        }
        let body = TOKEN.json_value(&answer)?;
        match body.get("id_token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => Ok(token.to_string()),
            _ => Err(TOKEN.fail("malformed answer: no id_token", &hidden)),
        }
    }
}

impl fmt::Debug for AppleSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppleSignIn")
            .field("client_id", &self.client_id)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl IdentityProvider for AppleSignIn {
    fn authorize_url(&self, state: &str) -> String {
        format!(
            "{}/auth/authorize?client_id={}&redirect_uri={}&response_type=code&response_mode=form_post&scope={SCOPE}&state={}",
            self.base,
            encode(&self.client_id),
            encode(&self.redirect_uri),
            encode(state),
        )
    }

    async fn identify<'a>(
        &self,
        code: &str,
        user: Option<&'a str>,
    ) -> Result<ExternalIdentity, IdentityError> {
        let token = self.exchange(code).await?;
        let kid = id_token::kid(&token)?;
        let key = self.jwks.key(&self.http, &kid, self.clock.now()).await?;
        let claims = id_token::verify(&token, &key, &self.base, &self.client_id, self.clock.now())?;
        Ok(ExternalIdentity {
            subject: claims.sub.clone(),
            login: None,
            verified_email: claims.verified_email(),
            display_name: user::display_name(user),
        })
    }
}
