//! `typing_states`: who is typing in which thread of a conversation, until
//! when.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000011_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum TypingStates {
    Table,
    ConversationId,
    UserId,
    RootId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TypingStates::Table)
                    .if_not_exists()
                    .col(uuid(TypingStates::ConversationId))
                    .col(uuid(TypingStates::UserId))
                    .col(uuid(TypingStates::RootId))
                    .col(big_integer(TypingStates::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(TypingStates::ConversationId)
                            .col(TypingStates::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_typing_states_conversation_id")
                            .from(TypingStates::Table, TypingStates::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
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
                    .table(TypingStates::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
