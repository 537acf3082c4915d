//! Apple's client secret: instead of a fixed secret, a short-lived ES256
//! JWT signed with the team's `.p8` key, minted for each token request.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sybil_domain::{Secret, Timestamp};

use crate::setup::OAuthSetupError;

/// How long a minted secret is good for: enough for one token request.
const LIFETIME_SECS: i64 = 300;

/// The claims Apple wants in a client secret.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
    exp: i64,
    aud: &'a str,
    sub: &'a str,
}

/// Mints client secrets; holds the parsed key, never its text.
pub(super) struct ClientSecretSigner {
    key: EncodingKey,
    header: Header,
    team_id: String,
    client_id: String,
    audience: String,
}

/// What a signer is made of (the `APPLE_*` settings).
pub(super) struct SignerParts<'a> {
    pub private_key_pem: &'a Secret,
    pub key_id: &'a str,
    pub team_id: &'a str,
    pub client_id: &'a str,
    /// `APPLE_BASE_URL`, without a trailing slash.
    pub audience: &'a str,
}

impl ClientSecretSigner {
    /// # Errors
    /// When the key is not an EC P-256 private key in PKCS#8 PEM. The key is
    /// tried once here, so a bad `.p8` fails at start-up, not at a sign-in.
    pub fn new(parts: &SignerParts<'_>) -> Result<Self, OAuthSetupError> {
        let unusable = || {
            OAuthSetupError::new(
                "apple",
                "the private key is not an EC P-256 private key in PKCS#8 PEM (an AuthKey_*.p8 file)",
            )
        };
        let key = EncodingKey::from_ec_pem(parts.private_key_pem.expose().as_bytes())
            .map_err(|_| unusable())?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(parts.key_id.to_string());
        let signer = ClientSecretSigner {
            key,
            header,
            team_id: parts.team_id.to_string(),
            client_id: parts.client_id.to_string(),
            audience: parts.audience.to_string(),
        };
        // The PEM parser checks only the wrapping; signing checks the curve.
        signer.sign(Timestamp(0)).map_err(|_| unusable())?;
        Ok(signer)
    }

    /// A client secret issued at `now`, valid 300 s.
    ///
    /// # Errors
    /// When signing fails (a key `new` accepted signs; this is defensive).
    pub fn sign(&self, now: Timestamp) -> Result<Secret, jsonwebtoken::errors::Error> {
        let iat = now.0.div_euclid(1000);
        let claims = Claims {
            iss: &self.team_id,
            iat,
            exp: iat + LIFETIME_SECS,
            aud: &self.audience,
            sub: &self.client_id,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key).map(Secret::new)
    }
}
