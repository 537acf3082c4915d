//! `sessions`: sign-in sessions, found by the SHA-256 of their token; a
//! rotated one keeps authenticating until `grace_until`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261205_000007_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TokenDigest,
    CsrfDigest,
    IssuedAt,
    ExpiresAt,
    AbsoluteExpiresAt,
    Revoked,
    GraceUntil,
    PredecessorId,
    SuccessorId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    .col(text_uniq(Sessions::TokenDigest))
                    .col(text(Sessions::CsrfDigest))
                    .col(big_integer(Sessions::IssuedAt))
                    .col(big_integer(Sessions::ExpiresAt))
                    .col(big_integer(Sessions::AbsoluteExpiresAt))
                    .col(boolean(Sessions::Revoked))
                    .col(big_integer_null(Sessions::GraceUntil))
                    .col(uuid_null(Sessions::PredecessorId))
                    .col(uuid_null(Sessions::SuccessorId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user_id")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sessions::Table).if_exists().to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
