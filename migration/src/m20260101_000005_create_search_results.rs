//! `search_results`: the ranked Exa result objects of a search's last run.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000004_create_searches::Searches;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchResults {
    Table,
    SearchId,
    Rank,
    Result,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchResults::Table)
                    .if_not_exists()
                    .col(uuid(SearchResults::SearchId))
                    .col(integer(SearchResults::Rank))
                    // The whole Exa result object, kept as sent so new fields survive.
                    .col(json_binary(SearchResults::Result))
                    .primary_key(
                        Index::create()
                            .col(SearchResults::SearchId)
                            .col(SearchResults::Rank),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_search_results_search_id")
                            .from(SearchResults::Table, SearchResults::SearchId)
                            .to(Searches::Table, Searches::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SearchResults::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
