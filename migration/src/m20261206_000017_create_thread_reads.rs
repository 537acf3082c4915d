//! `thread_reads`: each user's read mark per thread: the sequence number of the
//! last message read.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261205_000007_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ThreadReads {
    Table,
    UserId,
    RootId,
    ReadSeq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThreadReads::Table)
                    .if_not_exists()
                    .col(uuid(ThreadReads::UserId))
                    .col(uuid(ThreadReads::RootId))
                    .col(big_integer(ThreadReads::ReadSeq))
                    .primary_key(
                        Index::create()
                            .col(ThreadReads::UserId)
                            .col(ThreadReads::RootId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_thread_reads_user_id")
                            .from(ThreadReads::Table, ThreadReads::UserId)
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
                    .table(ThreadReads::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
