//! The traits Sybil's core talks through: outbound ports the use cases call
//! (storage, clock, ids) and inbound ports the HTTP layer drives. Mocks of
//! every trait come with the `mock` feature, for tests only.

pub mod inbound;
pub mod outbound;
