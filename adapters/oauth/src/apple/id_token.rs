//! Checking Apple's `id_token`: RS256 by a published key, Apple as issuer,
//! this client as audience, not expired by the clock port's time.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sybil_domain::Timestamp;
use sybil_ports::outbound::IdentityError;

/// Clock skew tolerated between Apple and us, in seconds.
const LEEWAY_SECS: i64 = 60;

/// The claims a sign-in reads.
#[derive(Debug, Deserialize)]
pub(super) struct Claims {
    pub sub: String,
    pub exp: i64,
    pub email: Option<String>,
    /// `true`, or `"true"` as Apple sent it for years.
    pub email_verified: Option<Value>,
}

impl Claims {
    /// The email, only when Apple says it is verified.
    pub fn verified_email(self) -> Option<String> {
        let verified = matches!(self.email_verified, Some(Value::Bool(true)))
            || matches!(&self.email_verified, Some(Value::String(s)) if s == "true");
        self.email.filter(|_| verified)
    }
}

fn invalid(reason: impl Into<String>) -> IdentityError {
    IdentityError::InvalidIdToken(reason.into())
}

/// The `kid` the token's header names; an RS256 header is required.
pub(super) fn kid(token: &str) -> Result<String, IdentityError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| invalid(format!("unreadable header: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid(format!("alg is {:?}, not RS256", header.alg)));
    }
    header.kid.ok_or_else(|| invalid("the header has no kid"))
}

/// The token's claims once its signature, issuer, audience and expiry hold.
/// Expiry is checked here, against `now`, not by jsonwebtoken's own clock.
pub(super) fn verify(
    token: &str,
    key: &DecodingKey,
    issuer: &str,
    audience: &str,
    now: Timestamp,
) -> Result<Claims, IdentityError> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map_err(|e| invalid(e.to_string()))?
        .claims;
    let now_secs = now.0.div_euclid(1000);
    if now_secs > claims.exp.saturating_add(LEEWAY_SECS) {
        return Err(invalid(format!(
            "expired at {} (now {now_secs}, leeway {LEEWAY_SECS} s)",
            claims.exp
        )));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(email_verified: Option<Value>) -> Claims {
        Claims {
            sub: "s".into(),
            exp: 0,
            email: Some("a@b.c".into()),
            email_verified,
        }
    }

    #[test]
    fn only_true_or_the_string_true_verifies_the_email() {
        let verified = |v| claims(v).verified_email().is_some();
        assert!(verified(Some(json!(true))));
        assert!(verified(Some(json!("true"))));
        assert!(!verified(Some(json!(false))));
        assert!(!verified(Some(json!("false"))));
        assert!(!verified(Some(json!("TRUE"))));
        assert!(!verified(None));
    }

    #[test]
    fn a_garbage_token_has_no_kid() {
        assert!(matches!(kid("nope"), Err(IdentityError::InvalidIdToken(_))));
    }
}
