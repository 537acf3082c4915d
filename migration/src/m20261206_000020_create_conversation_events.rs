//! `conversation_events`: the stream's events, numbered per conversation,
//! written in the transaction of the change they report.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000011_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ConversationEvents {
    Table,
    ConversationId,
    Id,
    Kind,
    Payload,
    Recipient,
    Excluded,
    MessageId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationEvents::Table)
                    .if_not_exists()
                    .col(uuid(ConversationEvents::ConversationId))
                    .col(big_integer(ConversationEvents::Id))
                    .col(text(ConversationEvents::Kind))
                    .col(text(ConversationEvents::Payload))
                    .col(uuid_null(ConversationEvents::Recipient))
                    .col(uuid_null(ConversationEvents::Excluded))
                    .col(uuid_null(ConversationEvents::MessageId))
                    .col(big_integer(ConversationEvents::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ConversationEvents::ConversationId)
                            .col(ConversationEvents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversation_events_conversation_id")
                            .from(
                                ConversationEvents::Table,
                                ConversationEvents::ConversationId,
                            )
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
                    .table(ConversationEvents::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
