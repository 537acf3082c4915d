//! `CallLog` on SeaORM: the `llm_calls` audit rows.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use sybil_domain::LlmCall;
use sybil_ports::outbound::{CallLog, StorageError};

use crate::SeaOrmStorage;
use crate::entity::llm_calls;

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
    }
}

impl SeaOrmStorage {
    /// Stores several calls with one statement, in their order.
    ///
    /// # Errors
    /// `StorageError` when the database fails; none is stored then.
    pub async fn record_calls(&self, calls: &[LlmCall]) -> Result<(), StorageError> {
        if calls.is_empty() {
            return Ok(());
        }
        let _turn = self.write_turn().await;
        llm_calls::Entity::insert_many(calls.iter().map(row))
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| self.redactor.map(e))
    }
}

#[async_trait]
impl CallLog for SeaOrmStorage {
    async fn record_call(&self, call: &LlmCall) -> Result<(), StorageError> {
        self.record_calls(std::slice::from_ref(call)).await
    }
}
