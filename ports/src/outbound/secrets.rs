//! Password hashes, random tokens and rate buckets: the parts of accounts
//! that cost CPU, read the OS's randomness, or may live outside the process.

use async_trait::async_trait;
use sybil_domain::account::{Gcra, GcraDecision};

/// Argon2id password hashing, off the async threads (a hash costs tens of
/// milliseconds by design).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for `password`.
    async fn hash(&self, password: String) -> String;

    /// Whether `password` matches `phc`. With `None` (no such account, or
    /// one without a password) it does the same work and answers `false`, so
    /// the answer's timing does not tell whether the account exists.
    async fn verify(&self, password: String, phc: Option<String>) -> bool;
}

/// Fresh tokens: 32 bytes of the OS's randomness as base64url (43 characters).
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait TokenSource: Send + Sync {
    fn token(&self) -> String;
}

/// Keyed GCRA buckets (login throttling now; rate-limit profiles later).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateBuckets: Send + Sync {
    /// Decides a request at `now_us` on bucket `key`; with `consume` an
    /// admitted request is charged, without it nothing changes.
    async fn decide(&self, key: &str, limit: Gcra, now_us: i64, consume: bool) -> GcraDecision;
}
