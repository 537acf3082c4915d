//! `completion_jobs` and `completion_events`: resumable completions, whose
//! every SSE event is stored as it is sent so clients can replay and follow.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CompletionJobs {
    Table,
    Id,
    ChatId,
    Status,
    Owner,
    StopRequested,
    HeartbeatAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CompletionEvents {
    Table,
    JobId,
    Seq,
    Event,
    Data,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CompletionJobs::Table)
                    .if_not_exists()
                    .col(pk_uuid(CompletionJobs::Id))
                    // No foreign key: a job outlives nothing, and its chat may be deleted while it runs.
                    .col(uuid_null(CompletionJobs::ChatId))
                    .col(text(CompletionJobs::Status))
                    // The replica running the job; its heartbeat says it is alive.
                    .col(text(CompletionJobs::Owner))
                    .col(boolean(CompletionJobs::StopRequested).default(false))
                    .col(big_integer(CompletionJobs::HeartbeatAt))
                    .col(big_integer(CompletionJobs::CreatedAt))
                    .col(big_integer(CompletionJobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_completion_jobs_status_heartbeat")
                    .table(CompletionJobs::Table)
                    .col(CompletionJobs::Status)
                    .col(CompletionJobs::HeartbeatAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CompletionEvents::Table)
                    .if_not_exists()
                    .col(uuid(CompletionEvents::JobId))
                    .col(big_integer(CompletionEvents::Seq))
                    .col(text(CompletionEvents::Event))
                    .col(json_binary(CompletionEvents::Data))
                    .col(big_integer(CompletionEvents::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CompletionEvents::JobId)
                            .col(CompletionEvents::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_completion_events_job_id")
                            .from(CompletionEvents::Table, CompletionEvents::JobId)
                            .to(CompletionJobs::Table, CompletionJobs::Id)
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
                    .table(CompletionEvents::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(CompletionJobs::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
