//! `llm_calls.conversation_id` and `message_id`: the `/api` assistant reply a
//! call was made for (a thread's reply has no chat).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LlmCalls {
    Table,
    ConversationId,
    MessageId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [LlmCalls::ConversationId, LlmCalls::MessageId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LlmCalls::Table)
                        .add_column(uuid_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [LlmCalls::ConversationId, LlmCalls::MessageId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LlmCalls::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
