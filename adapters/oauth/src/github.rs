//! `GithubSignIn`: GitHub's OAuth web flow — the code is exchanged for an
//! access token, which reads the user and their emails from the REST API.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use sybil_domain::Secret;
use sybil_ports::outbound::{ExternalIdentity, IdentityError, IdentityProvider};

use crate::http::{Step, scrub};
use crate::query::encode;
use crate::setup::{OAuthSetupError, base, client};

const PROVIDER: &str = "github";
/// The profile and the email list (private ones included): all a sign-in reads.
const SCOPE: &str = "read:user%20user:email";
const TOKEN: Step = Step::new(PROVIDER, "token");
const USER: Step = Step::new(PROVIDER, "user");
const EMAILS: Step = Step::new(PROVIDER, "emails");

/// What GitHub sign-in needs (`GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`,
/// `GITHUB_REDIRECT_URI`, `GITHUB_OAUTH_BASE_URL`, `GITHUB_API_BASE_URL`).
#[derive(Debug, Clone)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uri: String,
    /// `https://github.com` in production.
    pub oauth_base_url: String,
    /// `https://api.github.com` in production.
    pub api_base_url: String,
    /// Per request, connect to last byte.
    pub timeout: Duration,
}

/// GitHub as an identity provider; cheap to share (`Arc`).
#[derive(Debug, Clone)]
pub struct GithubSignIn {
    http: reqwest::Client,
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    oauth_base: String,
    api_base: String,
}

impl GithubSignIn {
    /// # Errors
    /// When a base URL is not an http(s) URL or the HTTP client cannot start.
    pub fn new(settings: GithubSettings) -> Result<Self, OAuthSetupError> {
        Ok(GithubSignIn {
            http: client(PROVIDER, settings.timeout)?,
            oauth_base: base(PROVIDER, "GITHUB_OAUTH_BASE_URL", &settings.oauth_base_url)?,
            api_base: base(PROVIDER, "GITHUB_API_BASE_URL", &settings.api_base_url)?,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            redirect_uri: settings.redirect_uri,
        })
    }

    /// The access token for `code`. GitHub refuses a code with a 200 whose
    /// body has an `error` field.
    async fn exchange(&self, code: &str) -> Result<Secret, IdentityError> {
        let hidden = [self.client_secret.expose(), code];
        let request = self
            .http
            .post(format!("{}/login/oauth/access_token", self.oauth_base))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose()),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
            ]);
        let answer = TOKEN.send(request, &hidden).await?;
        if !answer.status.is_success() {
            return Err(TOKEN.status(&answer, &hidden));
        }
        let body = TOKEN.json_value(&answer)?;
        if let Some(error) = body.get("error") {
            // GitHub's codes (`bad_verification_code`) pass as they are;
            // anything else is scrubbed before it can reach a client.
            let error = match error {
                Value::String(s) if is_error_code(s) => s.clone(),
                Value::String(s) => scrub(s.clone(), &hidden),
                other => scrub(other.to_string(), &hidden),
            };
            return Err(IdentityError::RejectedCode {
                provider_error: Some(error),
            });
        }
        match body.get("access_token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => Ok(Secret::new(token)),
            _ => Err(TOKEN.fail("malformed answer: no access_token", &hidden)),
        }
    }

    /// GETs `{api}{path}` with the token, as JSON `T`.
    async fn api<T: for<'de> Deserialize<'de>>(
        &self,
        step: Step,
        path: &str,
        token: &Secret,
    ) -> Result<T, IdentityError> {
        let hidden = [token.expose(), self.client_secret.expose()];
        let request = self
            .http
            .get(format!("{}{path}", self.api_base))
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/vnd.github+json");
        let answer = step.send(request, &hidden).await?;
        if !answer.status.is_success() {
            return Err(step.status(&answer, &hidden));
        }
        step.json(&answer, &hidden)
    }
}

/// Whether `text` looks like an OAuth error code (`snake_case`, short).
fn is_error_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// `GET /user`, the fields a sign-in reads.
#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    name: Option<String>,
}

/// One entry of `GET /user/emails`.
#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

/// Only the primary address, and only once GitHub has verified it: a
/// secondary or unverified address proves nothing about the account.
fn verified_primary(emails: Vec<Email>) -> Option<String> {
    emails
        .into_iter()
        .find(|e| e.primary && e.verified)
        .map(|e| e.email)
}

#[async_trait]
impl IdentityProvider for GithubSignIn {
    fn authorize_url(&self, state: &str) -> String {
        format!(
            "{}/login/oauth/authorize?client_id={}&redirect_uri={}&scope={SCOPE}&state={}",
            self.oauth_base,
            encode(&self.client_id),
            encode(&self.redirect_uri),
            encode(state),
        )
    }

    async fn identify<'a>(
        &self,
        code: &str,
        _user: Option<&'a str>,
    ) -> Result<ExternalIdentity, IdentityError> {
        let token = self.exchange(code).await?;
        let user: User = self.api(USER, "/user", &token).await?;
        let emails: Vec<Email> = self.api(EMAILS, "/user/emails", &token).await?;
        Ok(ExternalIdentity {
            subject: user.id.to_string(),
            login: Some(user.login),
            verified_email: verified_primary(emails),
            display_name: user.name.filter(|n| !n.trim().is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let settings = GithubSettings {
            client_id: "id".into(),
            client_secret: Secret::new("gh-secret-123"),
            redirect_uri: "http://localhost/cb".into(),
            oauth_base_url: "http://127.0.0.1:1/".into(),
            api_base_url: "http://127.0.0.1:2".into(),
            timeout: Duration::from_secs(1),
        };
        let sign_in = GithubSignIn::new(settings.clone()).unwrap();
        assert!(!format!("{settings:?} {sign_in:?}").contains("gh-secret"));
        assert_eq!(sign_in.oauth_base, "http://127.0.0.1:1");
    }

    #[test]
    fn a_base_url_must_be_http() {
        let settings = GithubSettings {
            client_id: "id".into(),
            client_secret: Secret::new("s"),
            redirect_uri: "r".into(),
            oauth_base_url: "github.com".into(),
            api_base_url: "http://127.0.0.1:2".into(),
            timeout: Duration::from_secs(1),
        };
        let err = GithubSignIn::new(settings).unwrap_err();
        assert!(err.to_string().contains("GITHUB_OAUTH_BASE_URL"), "{err}");
    }
}
