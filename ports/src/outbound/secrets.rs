//! Password hashes and random tokens: the parts of accounts that cost CPU
//! or read the OS's randomness.

use async_trait::async_trait;

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
