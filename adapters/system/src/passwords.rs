//! Argon2id password hashes (§3.2: m = 19456 KiB, t = 2, p = 1, a random
//! 16-byte salt), computed on tokio's blocking threads: one costs tens of
//! milliseconds by design and would stall an async worker.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sybil_ports::outbound::PasswordHasher;
use tokio::sync::Semaphore;

const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;
const SALT_BYTES: usize = 16;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .expect("the contract's Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> String {
    let mut salt = [0u8; SALT_BYTES];
    OsRng
        .try_fill_bytes(&mut salt)
        .expect("the OS random source is readable");
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .expect("hashing with a 16-byte salt cannot fail")
        .to_string()
}

/// Argon2id with the contract's parameters, and a hash of a random password
/// to verify against when there is no account, so that an unknown account
/// costs the same work as a wrong password.
pub struct Argon2Passwords {
    dummy: String,
    /// Hashes at a time: each holds 19 MiB for tens of milliseconds, so a
    /// burst of logins from many addresses would otherwise take memory and
    /// blocking threads without bound; the rest wait their turn.
    running: Semaphore,
}

impl Argon2Passwords {
    /// Computes the stand-in hash (once, at startup).
    pub fn new() -> Argon2Passwords {
        let mut random = [0u8; 24];
        OsRng
            .try_fill_bytes(&mut random)
            .expect("the OS random source is readable");
        let text: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Argon2Passwords {
            dummy: hash_now(&text),
            running: Semaphore::new(cores),
        }
    }
}

impl Default for Argon2Passwords {
    fn default() -> Self {
        Argon2Passwords::new()
    }
}

#[async_trait]
impl PasswordHasher for Argon2Passwords {
    async fn hash(&self, password: String) -> String {
        let _turn = self.running.acquire().await.expect("never closed");
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .expect("the hashing thread does not panic")
    }

    async fn verify(&self, password: String, phc: Option<String>) -> bool {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.clone());
        let _turn = self.running.acquire().await.expect("never closed");
        let matched = tokio::task::spawn_blocking(move || {
            argon2()
                .verify_password(password.as_bytes(), phc.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false);
        known && matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_with_the_contract_parameters() {
        let passwords = Argon2Passwords::new();
        let phc = passwords.hash("correct horse".into()).await;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            passwords
                .verify("correct horse".into(), Some(phc.clone()))
                .await
        );
        assert!(
            !passwords
                .verify("wrong horse".into(), Some(phc.clone()))
                .await
        );
        // A fresh salt each time.
        assert_ne!(passwords.hash("correct horse".into()).await, phc);
    }

    #[tokio::test]
    async fn no_hash_never_verifies() {
        let passwords = Argon2Passwords::new();
        assert!(!passwords.verify("anything".into(), None).await);
        assert!(!passwords.verify("x".into(), Some("not a phc".into())).await);
    }
}
