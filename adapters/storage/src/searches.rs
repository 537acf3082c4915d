//! `SearchRepository` on SeaORM: searches and their last run's results.

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use sybil_domain::Timestamp;
use sybil_domain::search::{Search, SearchRun};
use sybil_ports::outbound::{SearchRepository, StorageError};
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::{search_results, searches};

fn search_from_row(row: &searches::Model) -> Search {
    Search {
        id: row.id,
        title: row.title.clone(),
        query: row.query.clone(),
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
    }
}

fn run_from_row(row: searches::Model, results: Vec<Value>) -> SearchRun {
    SearchRun {
        request_id: row.request_id,
        latency_ms: row.latency_ms,
        error: row.error,
        answer_text: row.answer_text,
        answer_request_id: row.answer_request_id,
        answer_citations: match row.answer_citations {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        answer_error: row.answer_error,
        results,
    }
}

#[async_trait]
impl SearchRepository for SeaOrmStorage {
    async fn create_search(&self, search: &Search) -> Result<(), StorageError> {
        let _turn = self.write_turn().await;
        let row = searches::ActiveModel {
            id: Set(search.id),
            title: Set(search.title.clone()),
            query: Set(search.query.clone()),
            created_at: Set(search.created_at.millis()),
            updated_at: Set(search.updated_at.millis()),
            request_id: Set(None),
            latency_ms: Set(None),
            error: Set(None),
            answer_text: Set(None),
            answer_request_id: Set(None),
            answer_citations: Set(None),
            answer_error: Set(None),
        };
        searches::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    async fn list_searches(&self) -> Result<Vec<Search>, StorageError> {
        let rows = searches::Entity::find()
            .order_by_desc(searches::Column::UpdatedAt)
            .order_by_desc(searches::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(rows.iter().map(search_from_row).collect())
    }

    async fn load_search(&self, id: Uuid) -> Result<Option<(Search, SearchRun)>, StorageError> {
        let Some(row) = searches::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?
        else {
            return Ok(None);
        };
        let results = search_results::Entity::find()
            .filter(search_results::Column::SearchId.eq(id))
            .order_by_asc(search_results::Column::Rank)
            .all(&self.db)
            .await
            .map_err(|e| self.fail(e))?
            .into_iter()
            .map(|r| r.result)
            .collect();
        let search = search_from_row(&row);
        Ok(Some((search, run_from_row(row, results))))
    }

    async fn delete_search(&self, id: Uuid) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        // Results go with it through ON DELETE CASCADE.
        let deleted = searches::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(deleted.rows_affected > 0)
    }

    async fn save_run(
        &self,
        id: Uuid,
        title: Option<String>,
        query: Option<String>,
        run: &SearchRun,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let row = searches::ActiveModel {
            id: Set(id),
            title: Set(title),
            query: Set(query),
            created_at: NotSet,
            updated_at: Set(now.millis()),
            request_id: Set(run.request_id.clone()),
            latency_ms: Set(run.latency_ms),
            error: Set(run.error.clone()),
            answer_text: Set(run.answer_text.clone()),
            answer_request_id: Set(run.answer_request_id.clone()),
            answer_citations: Set(Some(Value::Array(run.answer_citations.clone()))),
            answer_error: Set(run.answer_error.clone()),
        };
        let updated = searches::Entity::update_many()
            .set(row)
            .filter(searches::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        if updated.rows_affected == 0 {
            self.rollback(txn).await?;
            return Ok(false);
        }
        search_results::Entity::delete_many()
            .filter(search_results::Column::SearchId.eq(id))
            .exec(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        let rows: Vec<_> = run
            .results
            .iter()
            .enumerate()
            .map(|(rank, result)| search_results::ActiveModel {
                search_id: Set(id),
                rank: Set(rank as i32),
                result: Set(result.clone()),
            })
            .collect();
        if !rows.is_empty() {
            search_results::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(|e| self.fail(e))?;
        }
        self.commit(txn).await?;
        Ok(true)
    }
}
