//! `searches`: a saved Exa search with the outcome of its last run (results live apart).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Searches {
    Table,
    Id,
    Title,
    Query,
    CreatedAt,
    UpdatedAt,
    RequestId,
    LatencyMs,
    Error,
    AnswerText,
    AnswerRequestId,
    AnswerCitations,
    AnswerError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Searches::Table)
                    .if_not_exists()
                    .col(pk_uuid(Searches::Id))
                    .col(text_null(Searches::Title))
                    .col(text_null(Searches::Query))
                    .col(big_integer(Searches::CreatedAt))
                    .col(big_integer(Searches::UpdatedAt))
                    .col(text_null(Searches::RequestId))
                    .col(big_integer_null(Searches::LatencyMs))
                    .col(text_null(Searches::Error))
                    .col(text_null(Searches::AnswerText))
                    .col(text_null(Searches::AnswerRequestId))
                    .col(json_binary_null(Searches::AnswerCitations))
                    .col(text_null(Searches::AnswerError))
                    .to_owned(),
            )
            .await?;
        // Same shape as the chats index: serves `updated_at DESC, id DESC` lists.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_searches_updated_at")
                    .table(Searches::Table)
                    .col(Searches::UpdatedAt)
                    .col(Searches::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Searches::Table).if_exists().to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
