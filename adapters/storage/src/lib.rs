//! SeaORM storage adapter: SQLite (the embedded default) or PostgreSQL behind Sybil's storage ports.

mod accounts;
mod bounded;
mod bounded_accounts;
mod bounded_rate_limits;
mod call_writer;
mod calls;
mod chats;
mod columns;
mod connect;
mod conversations;
mod entity;
mod error;
mod jobs;
mod mapper;
mod rate_limits;
mod searches;
mod sessions;
mod transcript;
mod wakeups;
mod write;

pub use bounded::BoundedStorage;
pub use call_writer::QueuedCallLog;
pub use connect::SeaOrmStorage;
pub use wakeups::LISTENER_NAME;
