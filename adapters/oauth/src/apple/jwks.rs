//! Apple's signing keys (`/auth/keys`), cached: fetched at most once a day,
//! and once more when a token names a key the cache does not have (Apple
//! rotates keys without notice).

use std::sync::{Arc, Mutex, PoisonError};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use sybil_domain::Timestamp;
use sybil_ports::outbound::IdentityError;

use crate::http::Step;

/// How long a fetched key set is trusted, in ms.
const MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;
const KEYS: Step = Step::new("apple", "keys");

struct Cached {
    keys: Arc<JwkSet>,
    fetched_at: Timestamp,
}

/// The key set at one URL and when it was fetched (by the clock port).
pub(super) struct Jwks {
    url: String,
    cache: Mutex<Option<Cached>>,
}

impl Jwks {
    pub fn new(url: String) -> Jwks {
        Jwks {
            url,
            cache: Mutex::new(None),
        }
    }

    /// The key named `kid`: from the cache while it is under a day old,
    /// else fetched; an unknown `kid` in a cached set fetches once more.
    ///
    /// # Errors
    /// `Provider` when the keys cannot be fetched; `InvalidIdToken` when no
    /// key has this `kid` or it is not a usable RSA key.
    pub async fn key(
        &self,
        http: &reqwest::Client,
        kid: &str,
        now: Timestamp,
    ) -> Result<DecodingKey, IdentityError> {
        let (keys, fresh) = match self.cached(now) {
            Some(keys) => (keys, false),
            None => (self.fetch(http, now).await?, true),
        };
        if let Some(found) = usable(&keys, kid) {
            return found;
        }
        let keys = if fresh {
            keys
        } else {
            self.fetch(http, now).await?
        };
        usable(&keys, kid).unwrap_or_else(|| {
            Err(IdentityError::InvalidIdToken(format!(
                "no published key has kid {kid:?}"
            )))
        })
    }

    fn cached(&self, now: Timestamp) -> Option<Arc<JwkSet>> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .as_ref()
            .filter(|c| (0..MAX_AGE_MS).contains(&(now.0 - c.fetched_at.0)))
            .map(|c| c.keys.clone())
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        now: Timestamp,
    ) -> Result<Arc<JwkSet>, IdentityError> {
        let answer = KEYS.send(http.get(&self.url), &[]).await?;
        if !answer.status.is_success() {
            return Err(KEYS.status(&answer, &[]));
        }
        let keys: Arc<JwkSet> = Arc::new(KEYS.json(&answer, &[])?);
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
            keys: keys.clone(),
            fetched_at: now,
        });
        Ok(keys)
    }
}

/// The decoding key for `kid`, `None` when the set has no such key.
fn usable(keys: &JwkSet, kid: &str) -> Option<Result<DecodingKey, IdentityError>> {
    let jwk = keys.find(kid)?;
    Some(
        DecodingKey::from_jwk(jwk).map_err(|e| {
            IdentityError::InvalidIdToken(format!("the key {kid:?} is not usable: {e}"))
        }),
    )
}
