//! `conversations`: shared conversations, with the counters of their message
//! sequence and of their stream's event ids (each taken by an update of this
//! row, which also orders concurrent writers).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261205_000007_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Conversations {
    Table,
    Id,
    Title,
    IsGroup,
    CreatedBy,
    CreatedAt,
    LastActivityAt,
    Provider,
    Model,
    LastSeq,
    LastEventId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(pk_uuid(Conversations::Id))
                    .col(text(Conversations::Title))
                    .col(boolean(Conversations::IsGroup))
                    .col(uuid(Conversations::CreatedBy))
                    .col(big_integer(Conversations::CreatedAt))
                    .col(big_integer(Conversations::LastActivityAt))
                    .col(text_null(Conversations::Provider))
                    .col(text_null(Conversations::Model))
                    .col(big_integer(Conversations::LastSeq))
                    .col(big_integer(Conversations::LastEventId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversations_created_by")
                            .from(Conversations::Table, Conversations::CreatedBy)
                            .to(Users::Table, Users::Id)
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
                    .table(Conversations::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
