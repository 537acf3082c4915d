//! `ConversationStore` on SeaORM. The statements are plain SQL with `$n`
//! parameters, which both SQLite and PostgreSQL read, since most of them
//! are aggregates and conditional updates that the entity API would only
//! obscure. Each change runs in one write transaction that also records
//! its events (`events.rs`).

mod events;
mod membership;
mod messages;
mod presence;
mod reads;
mod replies;
mod rows;
mod store;
mod stream;
mod unread;
