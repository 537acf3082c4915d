//! `user_presence`: the status a user last set and the status last announced
//! (`users.last_seen_at` says when the user was seen).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261205_000007_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum UserPresence {
    Table,
    UserId,
    Status,
    Announced,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserPresence::Table)
                    .if_not_exists()
                    .col(pk_uuid(UserPresence::UserId))
                    .col(text(UserPresence::Status))
                    .col(text_null(UserPresence::Announced))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_presence_user_id")
                            .from(UserPresence::Table, UserPresence::UserId)
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
                    .table(UserPresence::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
