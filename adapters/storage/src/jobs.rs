//! `JobStore` on SeaORM: resumable completions and their recorded events.
//! An event is stored in its wire form (`event` name, `data` JSON), so the
//! rows written by any version replay as they were sent.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sybil_domain::Timestamp;
use sybil_ports::inbound::CompletionEvent;
use sybil_ports::outbound::{
    CompletionJob, JobStatus, JobStore, RecordedEvent, StorageError, Topic,
};
use sybil_wire::StreamEvent;
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::{completion_events as events, completion_jobs as jobs};

fn job_from_row(row: jobs::Model) -> Result<CompletionJob, StorageError> {
    Ok(CompletionJob {
        id: row.id,
        chat_id: row.chat_id,
        status: JobStatus::parse(&row.status).ok_or_else(|| {
            StorageError::Internal(format!("job {}: unknown status {:?}", row.id, row.status))
        })?,
        owner: row.owner,
        stop_requested: row.stop_requested,
        heartbeat_at: Timestamp(row.heartbeat_at),
        created_at: Timestamp(row.created_at),
    })
}

const RUNNING: &str = "running";

fn event_from_row(row: events::Model) -> Result<RecordedEvent, StorageError> {
    let event = StreamEvent::from_parts(&row.event, row.data)
        .and_then(CompletionEvent::try_from)
        .map_err(|e| {
            StorageError::Internal(format!("job {} event {}: {e}", row.job_id, row.seq))
        })?;
    Ok(RecordedEvent {
        seq: row.seq as u64,
        event,
    })
}

#[async_trait]
impl JobStore for SeaOrmStorage {
    async fn create_job(&self, job: &CompletionJob) -> Result<(), StorageError> {
        let _turn = self.write_turn().await;
        let row = jobs::ActiveModel {
            id: Set(job.id),
            chat_id: Set(job.chat_id),
            status: Set(job.status.as_str().to_string()),
            owner: Set(job.owner.clone()),
            stop_requested: Set(job.stop_requested),
            heartbeat_at: Set(job.heartbeat_at.millis()),
            created_at: Set(job.created_at.millis()),
            updated_at: Set(job.created_at.millis()),
        };
        jobs::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    async fn load_job(&self, id: Uuid) -> Result<Option<CompletionJob>, StorageError> {
        jobs::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?
            .map(job_from_row)
            .transpose()
    }

    async fn append_event(
        &self,
        job_id: Uuid,
        event: &RecordedEvent,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let wire = StreamEvent::from(event.event.clone());
        let data = serde_json::to_value(&wire)
            .map_err(|e| StorageError::Internal(format!("event {}: {e}", event.seq)))?;
        let _turn = self.write_turn().await;
        let row = events::ActiveModel {
            job_id: Set(job_id),
            seq: Set(event.seq as i64),
            event: Set(wire.event_name().to_string()),
            data: Set(data),
            created_at: Set(now.millis()),
        };
        events::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        self.wake(Topic::Job(job_id)).await
    }

    async fn events_after(
        &self,
        job_id: Uuid,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StorageError> {
        let rows = events::Entity::find()
            .filter(events::Column::JobId.eq(job_id))
            .filter(events::Column::Seq.gt(after as i64))
            .order_by_asc(events::Column::Seq)
            .all(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        rows.into_iter().map(event_from_row).collect()
    }

    async fn finish_job(
        &self,
        id: Uuid,
        status: JobStatus,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        let done = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(status.as_str()))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now.millis()))
            .filter(jobs::Column::Id.eq(id))
            .filter(jobs::Column::Status.eq(RUNNING))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        if done.rows_affected > 0 {
            self.wake(Topic::Job(id)).await?;
        }
        Ok(done.rows_affected > 0)
    }

    async fn request_stop(&self, id: Uuid) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        let asked = jobs::Entity::update_many()
            .col_expr(jobs::Column::StopRequested, Expr::value(true))
            .filter(jobs::Column::Id.eq(id))
            .filter(jobs::Column::Status.eq(RUNNING))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        if asked.rows_affected > 0 {
            self.wake(Topic::JobStop(id)).await?;
        }
        Ok(asked.rows_affected > 0)
    }

    async fn heartbeat(&self, owner: &str, now: Timestamp) -> Result<Vec<Uuid>, StorageError> {
        let _turn = self.write_turn().await;
        jobs::Entity::update_many()
            .col_expr(jobs::Column::HeartbeatAt, Expr::value(now.millis()))
            .filter(jobs::Column::Owner.eq(owner))
            .filter(jobs::Column::Status.eq(RUNNING))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        jobs::Entity::find()
            .select_only()
            .column(jobs::Column::Id)
            .filter(jobs::Column::Owner.eq(owner))
            .filter(jobs::Column::Status.eq(RUNNING))
            .filter(jobs::Column::StopRequested.eq(true))
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn fail_stale_jobs(&self, before: Timestamp) -> Result<Vec<(Uuid, u64)>, StorageError> {
        let stale: Vec<Uuid> = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::Id)
            .filter(jobs::Column::Status.eq(RUNNING))
            .filter(jobs::Column::HeartbeatAt.lt(before.millis()))
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        let mut failed = Vec::new();
        for id in stale {
            // Only the caller that flips the status closes the job, so two
            // replicas never both append its final event.
            if self.finish_job(id, JobStatus::Failed, before).await? {
                let last = events::Entity::find()
                    .select_only()
                    .column_as(events::Column::Seq.max(), "last")
                    .filter(events::Column::JobId.eq(id))
                    .into_tuple::<Option<i64>>()
                    .one(&self.db)
                    .await
                    .map_err(|e| self.fail(e))?
                    .flatten()
                    .unwrap_or(0);
                failed.push((id, last as u64));
            }
        }
        Ok(failed)
    }

    async fn delete_finished_before(&self, before: Timestamp) -> Result<u64, StorageError> {
        let _turn = self.write_turn().await;
        // Events go with their job through ON DELETE CASCADE.
        let deleted = jobs::Entity::delete_many()
            .filter(jobs::Column::Status.ne(RUNNING))
            .filter(jobs::Column::UpdatedAt.lt(before.millis()))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(deleted.rows_affected)
    }
}
