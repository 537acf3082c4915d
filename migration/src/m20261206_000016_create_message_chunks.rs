//! `message_chunks`: the pieces of an assistant reply's text as they arrived.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000014_create_conversation_messages::ConversationMessages;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum MessageChunks {
    Table,
    MessageId,
    Idx,
    Content,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageChunks::Table)
                    .if_not_exists()
                    .col(uuid(MessageChunks::MessageId))
                    .col(big_integer(MessageChunks::Idx))
                    .col(text(MessageChunks::Content))
                    .col(big_integer(MessageChunks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(MessageChunks::MessageId)
                            .col(MessageChunks::Idx),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_chunks_message_id")
                            .from(MessageChunks::Table, MessageChunks::MessageId)
                            .to(ConversationMessages::Table, ConversationMessages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(MessageChunks::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
