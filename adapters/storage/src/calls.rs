//! `CallLog` on SeaORM: the `llm_calls` audit rows.
//!
//! A row is lost only when storage stays away past the retries: a batch the
//! database rejects is split until the rejected row is alone, so one bad row
//! never takes the others with it, and a blip is retried with backoff.

use std::collections::HashSet;

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use sybil_domain::LlmCall;
use sybil_domain::storage_retry::STORAGE_RETRY_DELAYS;
use sybil_ports::outbound::{CallLog, StorageError};
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::{chats, llm_calls};

/// Rows per INSERT statement. A batch of any length is written as
/// statements of these few sizes, largest first: a prepared statement is
/// cached per connection and per text, and one per batch length (1 to 256
/// rows) kept up to a hundred compiled multi-row statements on each SQLite
/// connection (soak: 70 MB resident after five minutes of load).
const STATEMENT_ROWS: [usize; 4] = [64, 16, 4, 1];

/// The statement sizes that write `rows` rows, largest first.
fn statement_sizes(rows: usize) -> impl Iterator<Item = usize> {
    let mut left = rows;
    STATEMENT_ROWS.into_iter().flat_map(move |size| {
        let times = left / size;
        left %= size;
        std::iter::repeat_n(size, times)
    })
}

fn tokens(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn row(call: &LlmCall) -> llm_calls::ActiveModel {
    llm_calls::ActiveModel {
        id: Set(call.id),
        chat_id: Set(call.chat_id),
        provider: Set(call.provider.as_str().to_string()),
        model: Set(call.model.clone()),
        status: Set(call.status.as_str().to_string()),
        error: Set(call.error.clone()),
        latency_ms: Set(call.latency_ms),
        tool_rounds: Set(i32::try_from(call.tool_rounds).unwrap_or(i32::MAX)),
        input_tokens: Set(call.usage.map(|u| tokens(u.input_tokens))),
        output_tokens: Set(call.usage.map(|u| tokens(u.output_tokens))),
        total_tokens: Set(call.usage.map(|u| tokens(u.total_tokens))),
        upstream_request_id: Set(call.upstream_request_id.clone()),
        created_at: Set(call.created_at.millis()),
        conversation_id: Set(call.reply.map(|r| r.conversation_id)),
        message_id: Set(call.reply.map(|r| r.message_id)),
    }
}

impl SeaOrmStorage {
    /// Stores the calls, many per statement, in their order. A call whose
    /// chat is already deleted is dropped on purpose: deleting a chat
    /// deletes its call records, and one written afterwards would outlive
    /// it. A statement the database rejects is split in halves until the
    /// rejected row is alone; only that row is lost.
    ///
    /// # Errors
    /// The last failure when some rows could not be stored: storage stayed
    /// unavailable through every retry, or a row was rejected on its own.
    /// Every other row is stored then.
    pub async fn record_calls(&self, calls: &[LlmCall]) -> Result<(), StorageError> {
        // A stack, first part on top, so the rows go in their order.
        let mut pending: Vec<Vec<&LlmCall>> = vec![calls.iter().collect()];
        let mut failure = None;
        while let Some(part) = pending.pop() {
            let err = match self.insert_calls_retrying(&part).await {
                Ok(()) => continue,
                Err(err @ StorageError::Unavailable(_)) => {
                    let lost = part.len() + pending.iter().map(Vec::len).sum::<usize>();
                    tracing::error!(error = %err, rows = lost, "storage stayed unavailable: LLM call rows lost");
                    return Err(err);
                }
                Err(err) => err,
            };
            let rows = part.len();
            let kept = match self.without_deleted_chats(&part).await {
                Ok(kept) => kept,
                Err(err) => {
                    failure = Some(err);
                    part
                }
            };
            if kept.len() < rows {
                tracing::debug!(
                    rows = rows - kept.len(),
                    "LLM call rows of deleted chats dropped"
                );
                if !kept.is_empty() {
                    pending.push(kept);
                }
            } else if kept.len() > 1 {
                let mut first = kept;
                let second = first.split_off(first.len() / 2);
                pending.push(second);
                pending.push(first);
            } else {
                let id = kept.first().map(|c| c.id);
                tracing::error!(error = %err, call_id = ?id, "an LLM call row was rejected");
                failure = Some(err);
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// One INSERT of the rows, retried while the database is unavailable.
    /// A row already stored (same id) is skipped, so a retry after a commit
    /// whose answer was lost stores nothing twice.
    async fn insert_calls_retrying(&self, calls: &[&LlmCall]) -> Result<(), StorageError> {
        let mut delays = STORAGE_RETRY_DELAYS.iter();
        loop {
            match self.insert_calls(calls).await {
                Err(StorageError::Unavailable(e)) => match delays.next() {
                    Some(delay) => {
                        tracing::warn!(error = %e, retry_in = ?delay, "LLM call rows not stored yet");
                        tokio::time::sleep(*delay).await;
                    }
                    None => return Err(StorageError::Unavailable(e)),
                },
                done => return done,
            }
        }
    }

    /// The rows in statements of `STATEMENT_ROWS` sizes, in one
    /// transaction when there are several.
    async fn insert_calls(&self, calls: &[&LlmCall]) -> Result<(), StorageError> {
        let sizes: Vec<usize> = statement_sizes(calls.len()).collect();
        if sizes.is_empty() {
            return Ok(());
        }
        self.bounded(async {
            if let [_] = sizes[..] {
                let _turn = self.write_turn().await;
                return self.insert_rows(calls, &self.db).await;
            }
            let (txn, _turn) = self.begin_write().await?;
            let mut rest = calls;
            for rows in sizes {
                let (these, next) = rest.split_at(rows);
                rest = next;
                if let Err(err) = self.insert_rows(these, &txn).await {
                    // The batch is refused whole; the caller splits it.
                    let _ = self.rollback(txn).await;
                    return Err(err);
                }
            }
            self.commit(txn).await
        })
        .await
    }

    /// One INSERT of the rows; a row already stored (same id) is skipped.
    async fn insert_rows(
        &self,
        calls: &[&LlmCall],
        db: &impl ConnectionTrait,
    ) -> Result<(), StorageError> {
        llm_calls::Entity::insert_many(calls.iter().map(|c| row(c)))
            .on_conflict(
                OnConflict::column(llm_calls::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    /// The calls whose chat still exists (or that have none).
    async fn without_deleted_chats<'a>(
        &self,
        calls: &[&'a LlmCall],
    ) -> Result<Vec<&'a LlmCall>, StorageError> {
        let wanted: HashSet<Uuid> = calls.iter().filter_map(|c| c.chat_id).collect();
        if wanted.is_empty() {
            return Ok(calls.to_vec());
        }
        let existing: HashSet<Uuid> = self
            .bounded(async {
                chats::Entity::find()
                    .select_only()
                    .column(chats::Column::Id)
                    .filter(chats::Column::Id.is_in(wanted))
                    .into_tuple::<Uuid>()
                    .all(&self.db)
                    .await
                    .map_err(|e| self.fail(e))
            })
            .await?
            .into_iter()
            .collect();
        Ok(calls
            .iter()
            .filter(|c| c.chat_id.is_none_or(|id| existing.contains(&id)))
            .copied()
            .collect())
    }
}

#[async_trait]
impl CallLog for SeaOrmStorage {
    async fn record_call(&self, call: &LlmCall) -> Result<(), StorageError> {
        self.record_calls(std::slice::from_ref(call)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_written_in_statements_of_a_few_sizes() {
        let sizes = |n| statement_sizes(n).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(7), [4, 1, 1, 1]);
        assert_eq!(sizes(85), [64, 16, 4, 1]);
        assert_eq!(sizes(256), [64; 4]);
        for n in 0..=300 {
            let s = sizes(n);
            assert_eq!(s.iter().sum::<usize>(), n);
            assert!(s.iter().all(|size| STATEMENT_ROWS.contains(size)));
        }
    }
}
