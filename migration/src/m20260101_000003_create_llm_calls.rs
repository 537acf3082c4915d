//! `llm_calls`: one row per provider call (ok, error or stopped), for auditing and usage.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_chats::Chats;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LlmCalls {
    Table,
    Id,
    ChatId,
    Provider,
    Model,
    Status,
    Error,
    LatencyMs,
    ToolRounds,
    InputTokens,
    OutputTokens,
    TotalTokens,
    UpstreamRequestId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LlmCalls::Table)
                    .if_not_exists()
                    .col(pk_uuid(LlmCalls::Id))
                    // Null for completions made without a stored chat.
                    .col(uuid_null(LlmCalls::ChatId))
                    .col(text(LlmCalls::Provider))
                    .col(text(LlmCalls::Model))
                    .col(text(LlmCalls::Status))
                    .col(text_null(LlmCalls::Error))
                    .col(big_integer(LlmCalls::LatencyMs))
                    .col(integer(LlmCalls::ToolRounds).default(0))
                    .col(big_integer_null(LlmCalls::InputTokens))
                    .col(big_integer_null(LlmCalls::OutputTokens))
                    .col(big_integer_null(LlmCalls::TotalTokens))
                    .col(text_null(LlmCalls::UpstreamRequestId))
                    .col(big_integer(LlmCalls::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_llm_calls_chat_id")
                            .from(LlmCalls::Table, LlmCalls::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_llm_calls_chat_id")
                    .table(LlmCalls::Table)
                    .col(LlmCalls::ChatId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LlmCalls::Table).if_exists().to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
