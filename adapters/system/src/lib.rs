//! The system clock and UUID v7 ids, the real implementations of the
//! `Clock` and `IdGenerator` ports; Argon2id password hashes, OS-random
//! tokens and in-memory rate buckets for accounts.

mod buckets;
mod passwords;
mod tokens;

pub use buckets::MemoryBuckets;
pub use passwords::Argon2Passwords;
pub use tokens::OsTokens;

use std::time::{SystemTime, UNIX_EPOCH};

use sybil_domain::Timestamp;
use sybil_ports::outbound::{Clock, IdGenerator};
use uuid::Uuid;

/// Wall-clock time in UTC milliseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        Timestamp(millis)
    }
}

/// UUID v7: time-ordered, so ids sort by creation.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_increase() {
        let ids = UuidV7Ids;
        let a = ids.new_id();
        let b = ids.new_id();
        assert_eq!(a.get_version_num(), 7);
        assert!(b > a);
    }

    #[test]
    fn clock_reads_a_plausible_time() {
        // 2024-01-01T00:00:00Z; anything earlier means the conversion is wrong.
        assert!(SystemClock.now().millis() > 1_704_067_200_000);
    }
}
