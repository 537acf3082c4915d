//! How the fake Apple checks a client secret: an ES256 JWT signed with the
//! `.p8` key, naming that key, the team, the Services ID and Apple.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::oauth::keys::ClientKey;

/// Apple refuses client secrets valid for longer than six months.
const LONGEST_LIFETIME: i64 = 15_777_000;

pub(super) struct Expected<'a> {
    pub key_id: &'a str,
    pub team_id: &'a str,
    pub client_id: &'a str,
    pub audience: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// `Ok` when `secret` is a JWT Apple would take, else why not.
pub(super) fn check(key: &ClientKey, secret: &str, want: &Expected<'_>) -> Result<(), String> {
    let parts: Vec<&str> = secret.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("not a compact JWT".into());
    };
    let header = json_part(header).ok_or("the header is not base64url JSON")?;
    let claims = json_part(claims).ok_or("the claims are not base64url JSON")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "the signature is not base64url")?;
    if header["alg"] != "ES256" {
        return Err(format!("alg is {}, not ES256", header["alg"]));
    }
    if header["kid"] != want.key_id {
        return Err(format!("kid is {}, not {}", header["kid"], want.key_id));
    }
    let input = &secret[..secret.rfind('.').unwrap_or(0)];
    if !key.verifies(input.as_bytes(), &signature) {
        return Err("the ES256 signature does not verify".into());
    }
    if claims["iss"] != want.team_id {
        return Err(format!("iss is {}, not the team id", claims["iss"]));
    }
    if claims["sub"] != want.client_id {
        return Err(format!("sub is {}, not the client id", claims["sub"]));
    }
    let audience_ok = match &claims["aud"] {
        Value::String(aud) => aud == want.audience,
        Value::Array(auds) => auds.iter().any(|a| a == want.audience),
        _ => false,
    };
    if !audience_ok {
        return Err(format!("aud is {}, not {}", claims["aud"], want.audience));
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err("iat or exp is missing or not an integer".into());
    };
    if exp <= want.now {
        return Err(format!("expired: exp {exp} <= now {}", want.now));
    }
    if exp <= iat || exp - iat > LONGEST_LIFETIME {
        return Err(format!(
            "exp {exp} is not within six months after iat {iat}"
        ));
    }
    Ok(())
}

fn json_part(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}
