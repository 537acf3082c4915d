//! `chats`: one row per conversation header; timestamps are epoch milliseconds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Chats {
    Table,
    Id,
    Title,
    CreatedAt,
    UpdatedAt,
    InitiatedProvider,
    InitiatedModel,
    LastUsedProvider,
    LastUsedModel,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Chats::Table)
                    .if_not_exists()
                    .col(pk_uuid(Chats::Id))
                    .col(text_null(Chats::Title))
                    .col(big_integer(Chats::CreatedAt))
                    .col(big_integer(Chats::UpdatedAt))
                    .col(text_null(Chats::InitiatedProvider))
                    .col(text_null(Chats::InitiatedModel))
                    .col(text_null(Chats::LastUsedProvider))
                    .col(text_null(Chats::LastUsedModel))
                    .to_owned(),
            )
            .await?;
        // `id` follows `updated_at` so the list query (updated_at DESC, id DESC)
        // reads the index in order without a sort.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_chats_updated_at")
                    .table(Chats::Table)
                    .col(Chats::UpdatedAt)
                    .col(Chats::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Chats::Table).if_exists().to_owned())
            .await
    }

    // SQLite runs DDL transactionally too: a failed migration leaves nothing behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
