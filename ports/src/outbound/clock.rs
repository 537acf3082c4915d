//! Time and identity, as ports so that use cases stay deterministic under test.

use sybil_domain::Timestamp;
use uuid::Uuid;

/// The current time.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC milliseconds.
    fn now(&self) -> Timestamp;
}

/// New unique ids.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new id; implementations return UUID v7 so ids sort by creation time.
    fn new_id(&self) -> Uuid;
}
