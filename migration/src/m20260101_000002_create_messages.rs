//! `messages`: the transcript; `seq` is the creation order across concurrent writers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_chats::Chats;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Seq,
    Id,
    ChatId,
    CreatedAt,
    Role,
    Content,
    Name,
    Metadata,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    // SQLite renders this as `integer NOT NULL PRIMARY KEY AUTOINCREMENT`
                    // (a rowid alias that is never reused), PostgreSQL as `bigserial`.
                    .col(big_pk_auto(Messages::Seq))
                    .col(uuid_uniq(Messages::Id))
                    .col(uuid(Messages::ChatId))
                    .col(big_integer(Messages::CreatedAt))
                    .col(text(Messages::Role))
                    .col(text(Messages::Content))
                    .col(text_null(Messages::Name))
                    .col(json_binary_null(Messages::Metadata))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_chat_id")
                            .from(Messages::Table, Messages::ChatId)
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
                    .name("idx_messages_chat_id_seq")
                    .table(Messages::Table)
                    .col(Messages::ChatId)
                    .col(Messages::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Messages::Table).if_exists().to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
