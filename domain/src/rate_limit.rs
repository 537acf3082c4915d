//! Rate limits (§7): GCRA buckets, the profiles an admin edits at run time,
//! their assignments to routes, and which bucket decides a request.

pub mod gcra;
pub mod pattern;
pub mod profile;
pub mod table;

use std::net::IpAddr;

use uuid::Uuid;

pub use gcra::{Gcra, GcraDecision};
pub use pattern::{PathPattern, method};
pub use profile::{NewProfile, Profile, ProfilePatch};
pub use table::{Assignment, LimitTable, Rule};

/// A rule of §4.12 broken: the field (`params.burst`, `path`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

impl RuleError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Whose bucket a request draws from (§7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A session user.
    User(Uuid),
    /// The `ADMIN_TOKEN` bearer.
    Service,
    /// Anyone else, by client address.
    Address(IpAddr),
}

impl Principal {
    /// The bucket of this principal under a rule's bucket name.
    pub fn bucket_key(&self, bucket: &str) -> String {
        match self {
            Principal::User(id) => format!("rl:{bucket}:u:{id}"),
            Principal::Service => format!("rl:{bucket}:service"),
            Principal::Address(ip) => format!("rl:{bucket}:ip:{ip}"),
        }
    }
}

/// The bucket of one user's posts in one conversation (§7.5).
pub fn posting_key(bucket: &str, user: Uuid, conversation: Uuid) -> String {
    format!("rl:{bucket}:u:{user}:c:{conversation}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_have_distinct_keys_under_one_bucket() {
        let id = Uuid::nil();
        let keys = [
            Principal::User(id).bucket_key("b"),
            Principal::Service.bucket_key("b"),
            Principal::Address([127, 0, 0, 1].into()).bucket_key("b"),
            posting_key("b", id, id),
        ];
        assert_eq!(
            keys,
            [
                "rl:b:u:00000000-0000-0000-0000-000000000000",
                "rl:b:service",
                "rl:b:ip:127.0.0.1",
                "rl:b:u:00000000-0000-0000-0000-000000000000:c:00000000-0000-0000-0000-000000000000",
            ]
        );
        assert_ne!(
            Principal::Service.bucket_key("a"),
            Principal::Service.bucket_key("b")
        );
    }
}
