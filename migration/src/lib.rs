//! Schema migrations for Sybil's database, one file per table, applied in order.

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_create_chats;
mod m20260101_000002_create_messages;
mod m20260101_000003_create_llm_calls;
mod m20260101_000004_create_searches;
mod m20260101_000005_create_search_results;
mod m20260101_000006_create_completion_jobs;
mod m20261205_000007_create_users;
mod m20261205_000008_create_sessions;
mod m20261205_000009_create_oauth_states;
mod m20261205_000010_create_user_identities;
mod m20261206_000011_create_conversations;
mod m20261206_000012_create_conversation_participants;
mod m20261206_000013_create_conversation_invites;
mod m20261206_000014_create_conversation_messages;
mod m20261206_000015_create_conversation_threads;
mod m20261206_000016_create_message_chunks;
mod m20261206_000017_create_thread_reads;
mod m20261206_000018_create_typing_states;
mod m20261206_000019_create_user_presence;
mod m20261206_000020_create_conversation_events;
mod m20261206_000021_add_reply_to_llm_calls;
mod m20261206_000022_create_rate_limits;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_chats::Migration),
            Box::new(m20260101_000002_create_messages::Migration),
            Box::new(m20260101_000003_create_llm_calls::Migration),
            Box::new(m20260101_000004_create_searches::Migration),
            Box::new(m20260101_000005_create_search_results::Migration),
            Box::new(m20260101_000006_create_completion_jobs::Migration),
            Box::new(m20261205_000007_create_users::Migration),
            Box::new(m20261205_000008_create_sessions::Migration),
            Box::new(m20261205_000009_create_oauth_states::Migration),
            Box::new(m20261205_000010_create_user_identities::Migration),
            Box::new(m20261206_000011_create_conversations::Migration),
            Box::new(m20261206_000012_create_conversation_participants::Migration),
            Box::new(m20261206_000013_create_conversation_invites::Migration),
            Box::new(m20261206_000014_create_conversation_messages::Migration),
            Box::new(m20261206_000015_create_conversation_threads::Migration),
            Box::new(m20261206_000016_create_message_chunks::Migration),
            Box::new(m20261206_000017_create_thread_reads::Migration),
            Box::new(m20261206_000018_create_typing_states::Migration),
            Box::new(m20261206_000019_create_user_presence::Migration),
            Box::new(m20261206_000020_create_conversation_events::Migration),
            Box::new(m20261206_000021_add_reply_to_llm_calls::Migration),
            Box::new(m20261206_000022_create_rate_limits::Migration),
        ]
    }
}
