//! Real keys for the fake Apple, made with aws-lc-rs at start: RSA-2048
//! pairs that sign `id_token`s (and are published as a JWKS), and the EC
//! P-256 pair whose private half a test hands to the adapter as its `.p8`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    RSA_PKCS1_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// base64url without padding, as JWTs and JWKs write bytes.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA key that signs `id_token`s under `kid`.
pub(crate) struct SigningKey {
    pub kid: String,
    pair: RsaKeyPair,
}

impl SigningKey {
    /// # Panics
    /// When aws-lc-rs cannot make a key (never in practice).
    pub fn generate(kid: &str) -> SigningKey {
        SigningKey {
            kid: kid.to_owned(),
            pair: RsaKeyPair::generate(KeySize::Rsa2048).expect("fake apple: RSA key"),
        }
    }

    /// The public key as a JWK, shaped like the entries of Apple's
    /// `https://appleid.apple.com/auth/keys`.
    pub fn jwk(&self) -> Value {
        let parts = PublicKeyComponents::<Vec<u8>>::from(self.pair.public_key());
        json!({
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": b64url(&parts.n),
            "e": b64url(&parts.e),
        })
    }

    /// A compact RS256 JWT of `claims` whose header names `kid` (which may
    /// differ from this key's own, to forge a wrongly signed token).
    pub fn sign(&self, kid: &str, claims: &Value) -> String {
        let header = json!({"kid": kid, "alg": "RS256"});
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("fake apple: RSA signature");
        format!("{input}.{}", b64url(&signature))
    }
}

/// The EC P-256 key of a Sign in with Apple service: the test gets the
/// private PKCS#8 PEM, the fake checks client secrets with the public half.
pub(crate) struct ClientKey {
    pair: EcdsaKeyPair,
    pem: String,
}

impl ClientKey {
    /// # Panics
    /// When aws-lc-rs cannot make a key (never in practice).
    pub fn generate() -> ClientKey {
        let pair =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("fake apple: EC key");
        let der = pair.to_pkcs8v1().expect("fake apple: PKCS#8");
        ClientKey {
            pem: pem("PRIVATE KEY", der.as_ref()),
            pair,
        }
    }

    /// The `.p8` file Apple lets a developer download once.
    pub fn private_pem(&self) -> &str {
        &self.pem
    }

    /// Whether `signature` is this key's ES256 signature (`r || s`) of `input`.
    pub fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.pair.public_key().as_ref())
            .verify(input, signature)
            .is_ok()
    }
}

/// A PEM block with 64-character lines, as openssl writes it.
fn pem(label: &str, der: &[u8]) -> String {
    let text = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
