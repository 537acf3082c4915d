//! `rate_limit_profiles` and `rate_limit_assignments` (§2.4, §4.12): the
//! limits an admin edits at run time. Profiles are unique by name without
//! regard to case (`name_key` holds the lower-cased name); an assignment is
//! unique by method and pattern, and keeps its profile from being deleted.
//! Seeds the posting limit `conversation.post` (§7.5).

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimitProfiles {
    Table,
    Id,
    Name,
    NameKey,
    Algorithm,
    RequestsPerSecond,
    Burst,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RateLimitAssignments {
    Table,
    Id,
    ProfileId,
    Method,
    PathPattern,
    CreatedAt,
    UpdatedAt,
}

/// The seeded `conversation.post`: fixed, so every database names it alike
/// (a v7 layout stamped 2026-12-06T00:00:00Z).
const POSTING_PROFILE_ID: u128 = 0x01a248a6_7c00_7000_8000_000000000001;

/// The lists are ordered by these columns; PostgreSQL's default collation
/// may not compare byte-wise as SQLite does, so they get the "C" one there.
fn sorted_text(manager: &SchemaManager, mut column: ColumnDef) -> ColumnDef {
    if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        column.extra("COLLATE \"C\"");
    }
    column
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        <i64 as TryFrom<u128>>::try_from(d.as_millis()).unwrap_or(i64::MAX)
    })
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimitProfiles::Table)
                    .if_not_exists()
                    .col(pk_uuid(RateLimitProfiles::Id))
                    .col(sorted_text(manager, text(RateLimitProfiles::Name)))
                    .col(sorted_text(manager, text_uniq(RateLimitProfiles::NameKey)))
                    .col(text(RateLimitProfiles::Algorithm))
                    .col(double(RateLimitProfiles::RequestsPerSecond))
                    // `burst` goes up to u32::MAX, past a 32-bit integer.
                    .col(big_integer(RateLimitProfiles::Burst))
                    .col(text_null(RateLimitProfiles::Description))
                    .col(big_integer(RateLimitProfiles::CreatedAt))
                    .col(big_integer(RateLimitProfiles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateLimitAssignments::Table)
                    .if_not_exists()
                    .col(pk_uuid(RateLimitAssignments::Id))
                    .col(uuid(RateLimitAssignments::ProfileId))
                    .col(sorted_text(manager, text(RateLimitAssignments::Method)))
                    .col(sorted_text(
                        manager,
                        text(RateLimitAssignments::PathPattern),
                    ))
                    .col(big_integer(RateLimitAssignments::CreatedAt))
                    .col(big_integer(RateLimitAssignments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rate_limit_assignments_profile_id")
                            .from(RateLimitAssignments::Table, RateLimitAssignments::ProfileId)
                            .to(RateLimitProfiles::Table, RateLimitProfiles::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // One assignment per route: the target of the re-pointing upsert.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .unique()
                    .name("idx_rate_limit_assignments_route")
                    .table(RateLimitAssignments::Table)
                    .col(RateLimitAssignments::Method)
                    .col(RateLimitAssignments::PathPattern)
                    .to_owned(),
            )
            .await?;
        // Counting a profile's assignments before deleting it.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_rate_limit_assignments_profile_id")
                    .table(RateLimitAssignments::Table)
                    .col(RateLimitAssignments::ProfileId)
                    .to_owned(),
            )
            .await?;
        let now = now_millis();
        let posting = Query::insert()
            .into_table(RateLimitProfiles::Table)
            .columns([
                RateLimitProfiles::Id,
                RateLimitProfiles::Name,
                RateLimitProfiles::NameKey,
                RateLimitProfiles::Algorithm,
                RateLimitProfiles::RequestsPerSecond,
                RateLimitProfiles::Burst,
                RateLimitProfiles::Description,
                RateLimitProfiles::CreatedAt,
                RateLimitProfiles::UpdatedAt,
            ])
            .values_panic([
                Uuid::from_u128(POSTING_PROFILE_ID).into(),
                "conversation.post".into(),
                "conversation.post".into(),
                "gcra".into(),
                5.0_f64.into(),
                10_i64.into(),
                Option::<String>::None.into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        manager.exec_stmt(posting).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(RateLimitAssignments::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(RateLimitProfiles::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
