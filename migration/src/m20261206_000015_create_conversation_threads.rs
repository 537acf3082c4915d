//! `conversation_threads`: one row per thread with what its list shows, kept
//! with each post.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000011_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ConversationThreads {
    Table,
    RootId,
    ConversationId,
    CreatedAt,
    LastActivityAt,
    MessageCount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationThreads::Table)
                    .if_not_exists()
                    .col(pk_uuid(ConversationThreads::RootId))
                    .col(uuid(ConversationThreads::ConversationId))
                    .col(big_integer(ConversationThreads::CreatedAt))
                    .col(big_integer(ConversationThreads::LastActivityAt))
                    .col(big_integer(ConversationThreads::MessageCount))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversation_threads_conversation_id")
                            .from(
                                ConversationThreads::Table,
                                ConversationThreads::ConversationId,
                            )
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_conversation_threads_activity")
                    .table(ConversationThreads::Table)
                    .col(ConversationThreads::ConversationId)
                    .col(ConversationThreads::LastActivityAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ConversationThreads::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
