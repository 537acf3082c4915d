//! The id_tokens the fake Apple mints, faithful or deliberately wrong.

use std::sync::Arc;

use serde_json::json;

use crate::oauth::keys::SigningKey;

/// How long a fake id_token lives.
const LIFETIME: i64 = 600;

/// What Apple's `email_verified` claim holds: Apple has sent both the
/// boolean and the string `"true"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailVerified {
    Bool(bool),
    Str(String),
    /// No `email_verified` claim at all.
    Absent,
}

/// Which id_token a code is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenVariant {
    /// Signed with the published key; `exp` ten minutes after the fake's now.
    Valid,
    /// `exp` an hour before the fake's now.
    Expired,
    /// `exp` at this Unix second (`iat` ten minutes before).
    ExpiresAt(i64),
    /// `aud` is another client id.
    WrongAudience,
    /// `iss` is not the fake's base URL.
    WrongIssuer,
    /// Signed by a key whose kid is not published.
    UnknownKid,
    /// Names the published kid but is signed by another key.
    WronglySigned,
    /// Signed with the published key, but without an `exp` claim.
    WithoutExp,
}

/// Who a code signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppleIdentity {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: EmailVerified,
    pub token: TokenVariant,
}

impl AppleIdentity {
    /// A valid token for `sub` with `email` verified (`true`, a boolean).
    pub fn new(sub: &str, email: &str) -> AppleIdentity {
        AppleIdentity {
            sub: sub.to_owned(),
            email: Some(email.to_owned()),
            email_verified: EmailVerified::Bool(true),
            token: TokenVariant::Valid,
        }
    }

    pub fn with_token(mut self, token: TokenVariant) -> AppleIdentity {
        self.token = token;
        self
    }

    pub fn with_email_verified(mut self, verified: EmailVerified) -> AppleIdentity {
        self.email_verified = verified;
        self
    }
}

/// The keys a token may be signed with.
pub(super) struct Signer<'a> {
    pub published: Option<Arc<SigningKey>>,
    /// Made on first use: RSA key generation is slow.
    pub forger: &'a mut Option<Arc<SigningKey>>,
}

/// The compact JWT for `identity` as Apple would sign it at `now`.
pub(super) fn mint(
    signer: Signer<'_>,
    identity: &AppleIdentity,
    issuer: &str,
    client_id: &str,
    now: i64,
) -> String {
    let (iat, exp) = match identity.token {
        TokenVariant::Expired => (now - 3600 - LIFETIME, now - 3600),
        TokenVariant::ExpiresAt(exp) => (exp - LIFETIME, exp),
        _ => (now, now + LIFETIME),
    };
    let mut claims = json!({
        "iss": if identity.token == TokenVariant::WrongIssuer { "https://issuer.invalid" } else { issuer },
        "aud": if identity.token == TokenVariant::WrongAudience { "com.example.someone.else" } else { client_id },
        "exp": exp,
        "iat": iat,
        "sub": identity.sub,
        "at_hash": "fakeAtHash0123456789ab",
        "auth_time": iat,
        "nonce_supported": true,
    });
    if identity.token == TokenVariant::WithoutExp
        && let Some(map) = claims.as_object_mut()
    {
        map.remove("exp");
    }
    if let Some(email) = &identity.email {
        claims["email"] = json!(email);
        claims["is_private_email"] = json!(email.ends_with("@privaterelay.appleid.com"));
    }
    match &identity.email_verified {
        EmailVerified::Bool(b) => claims["email_verified"] = json!(b),
        EmailVerified::Str(s) => claims["email_verified"] = json!(s),
        EmailVerified::Absent => {}
    }
    let published = signer
        .published
        .expect("fake apple: a published signing key");
    match identity.token {
        TokenVariant::UnknownKid => forger(signer.forger).sign("fake-apple-unpublished", &claims),
        TokenVariant::WronglySigned => forger(signer.forger).sign(&published.kid, &claims),
        _ => published.sign(&published.kid, &claims),
    }
}

fn forger(slot: &mut Option<Arc<SigningKey>>) -> Arc<SigningKey> {
    slot.get_or_insert_with(|| Arc::new(SigningKey::generate("fake-apple-forger")))
        .clone()
}
