//! SeaORM storage adapter: SQLite (the embedded default) or PostgreSQL behind Sybil's storage ports.

mod calls;
mod chats;
mod connect;
mod entity;
mod error;
mod jobs;
mod mapper;
mod searches;
mod write;

pub use connect::SeaOrmStorage;
