//! `users`: accounts of `/api`, unique by email and by username without
//! regard to case (the `_key` columns hold the lower-cased values), and
//! `account_lock`, one row that serialises setup and admin-count changes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    EmailKey,
    Username,
    UsernameKey,
    DisplayName,
    Roles,
    Disabled,
    PasswordHash,
    CreatedAt,
    RolesChangedAt,
    MembershipsChangedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum AccountLock {
    Table,
    Id,
    SetupDone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_uuid(Users::Id))
                    .col(text(Users::Email))
                    .col(text_uniq(Users::EmailKey))
                    .col(text(Users::Username))
                    .col(text_uniq(Users::UsernameKey))
                    .col(text_null(Users::DisplayName))
                    .col(text(Users::Roles))
                    .col(boolean(Users::Disabled))
                    .col(text_null(Users::PasswordHash))
                    .col(big_integer(Users::CreatedAt))
                    .col(big_integer(Users::RolesChangedAt))
                    .col(big_integer(Users::MembershipsChangedAt))
                    .col(big_integer_null(Users::LastSeenAt))
                    .to_owned(),
            )
            .await?;
        // The admin's list: oldest first, keyset on (created_at, id).
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_users_created_at")
                    .table(Users::Table)
                    .col(Users::CreatedAt)
                    .col(Users::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountLock::Table)
                    .if_not_exists()
                    .col(integer(AccountLock::Id).primary_key())
                    .col(boolean(AccountLock::SetupDone))
                    .to_owned(),
            )
            .await?;
        let row = Query::insert()
            .into_table(AccountLock::Table)
            .columns([AccountLock::Id, AccountLock::SetupDone])
            .values_panic([1.into(), false.into()])
            .to_owned();
        manager.exec_stmt(row).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AccountLock::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).if_exists().to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
