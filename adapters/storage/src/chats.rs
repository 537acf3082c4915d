//! `ChatRepository` on SeaORM: chats and their transcripts.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sybil_domain::history::messages_to_store;
use sybil_domain::{Chat, Message, ModelChoice, Role, Timestamp};
use sybil_ports::outbound::{ChatRepository, ChatWithMessages, StorageError};
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::{chats, messages};
use crate::mapper;

/// Rows per INSERT: far below the bound-parameter limits of SQLite (32766)
/// and PostgreSQL (65535) at 7 columns a row.
const INSERT_CHUNK: usize = 1000;

impl SeaOrmStorage {
    async fn insert_messages(
        &self,
        txn: &DatabaseTransaction,
        chat_id: Uuid,
        messages: &[Message],
    ) -> Result<(), StorageError> {
        // Rows of one INSERT get increasing `seq` in VALUES order.
        for chunk in messages.chunks(INSERT_CHUNK) {
            messages::Entity::insert_many(chunk.iter().map(|m| mapper::message_to_row(chat_id, m)))
                .exec_without_returning(txn)
                .await
                .map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    /// Sets the chat's `updatedAt` (and model use) as the transaction's
    /// first statement: that takes the chat's row lock on PostgreSQL (as
    /// `SELECT … FOR UPDATE` would) and SQLite's write lock, so concurrent
    /// appends to one chat queue here until this transaction ends. `false`
    /// when the chat is unknown.
    async fn lock_and_touch(
        &self,
        txn: &DatabaseTransaction,
        chat_id: Uuid,
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        // Each writer's rows also get consecutive `seq` values this way.
        let mut update = chats::Entity::update_many()
            .col_expr(chats::Column::UpdatedAt, Expr::value(now.millis()));
        if let Some(choice) = model_use {
            let provider = choice.provider.as_str();
            // The first call initiates the chat: COALESCE keeps an existing pair.
            let keep_or = |column: chats::Column, value: &str| {
                Func::coalesce([Expr::col(column), Expr::value(value.to_string())])
            };
            update = update
                .col_expr(chats::Column::LastUsedProvider, Expr::value(provider))
                .col_expr(
                    chats::Column::LastUsedModel,
                    Expr::value(choice.model.clone()),
                )
                .col_expr(
                    chats::Column::InitiatedProvider,
                    keep_or(chats::Column::InitiatedProvider, provider).into(),
                )
                .col_expr(
                    chats::Column::InitiatedModel,
                    keep_or(chats::Column::InitiatedModel, &choice.model).into(),
                );
        }
        let touched = update
            .filter(chats::Column::Id.eq(chat_id))
            .exec(txn)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(touched.rows_affected > 0)
    }

    /// The role and content of the chat's first `limit` messages that are
    /// not `tool` messages, in order: what the history rule compares a
    /// request with, without loading the whole transcript. Empty for an
    /// unknown chat.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    pub async fn history_head(
        &self,
        id: Uuid,
        limit: usize,
    ) -> Result<Vec<(Role, String)>, StorageError> {
        self.history_head_on(&self.db, id, limit).await
    }

    async fn history_head_on(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
        limit: usize,
    ) -> Result<Vec<(Role, String)>, StorageError> {
        let rows: Vec<(String, String)> = messages::Entity::find()
            .select_only()
            .column(messages::Column::Role)
            .column(messages::Column::Content)
            .filter(messages::Column::ChatId.eq(id))
            .filter(messages::Column::Role.ne(Role::Tool.as_str()))
            .order_by_asc(messages::Column::Seq)
            .limit(limit as u64)
            .into_tuple()
            .all(conn)
            .await
            .map_err(|e| self.fail(e))?;
        rows.into_iter()
            .map(|(role, content)| Ok((mapper::role_from_column(&role)?, content)))
            .collect()
    }
}

#[async_trait]
impl ChatRepository for SeaOrmStorage {
    async fn create_chat(&self, chat: &Chat, messages: &[Message]) -> Result<(), StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        chats::Entity::insert(mapper::chat_to_row(chat))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        self.insert_messages(&txn, chat.id, messages).await?;
        self.commit(txn).await
    }

    async fn list_chats(&self) -> Result<Vec<Chat>, StorageError> {
        chats::Entity::find()
            .order_by_desc(chats::Column::UpdatedAt)
            .order_by_desc(chats::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| self.fail(e))?
            .into_iter()
            .map(mapper::chat_from_row)
            .collect()
    }

    async fn load_chat(&self, id: Uuid) -> Result<Option<ChatWithMessages>, StorageError> {
        let Some(row) = chats::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?
        else {
            return Ok(None);
        };
        let messages = self.transcript(id).await?;
        Ok(Some(ChatWithMessages {
            chat: mapper::chat_from_row(row)?,
            messages,
        }))
    }

    async fn rename_chat(
        &self,
        id: Uuid,
        title: Option<String>,
        now: Timestamp,
    ) -> Result<Option<Chat>, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let updated = chats::Entity::update_many()
            .col_expr(chats::Column::Title, Expr::value(title))
            .col_expr(chats::Column::UpdatedAt, Expr::value(now.millis()))
            .filter(chats::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        if updated.rows_affected == 0 {
            self.rollback(txn).await?;
            return Ok(None);
        }
        // Read back inside the transaction so the answer is exactly what was written.
        let row = chats::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        self.commit(txn).await?;
        row.map(mapper::chat_from_row).transpose()
    }

    async fn delete_chat(&self, id: Uuid) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        // Messages and call records go with it through ON DELETE CASCADE.
        let deleted = chats::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(deleted.rows_affected > 0)
    }

    async fn append_messages(
        &self,
        chat_id: Uuid,
        messages: &[Message],
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        if !self.lock_and_touch(&txn, chat_id, model_use, now).await? {
            self.rollback(txn).await?;
            return Ok(false);
        }
        self.insert_messages(&txn, chat_id, messages).await?;
        self.commit(txn).await?;
        Ok(true)
    }

    async fn append_new_messages(
        &self,
        chat_id: Uuid,
        provided: &[Message],
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        if !self.lock_and_touch(&txn, chat_id, model_use, now).await? {
            self.rollback(txn).await?;
            return Ok(false);
        }
        // Read under the lock: a concurrent writer's messages are either
        // committed and compared here, or wait for this commit.
        let stored = self.history_head_on(&txn, chat_id, provided.len()).await?;
        let pairs: Vec<(Role, &str)> = provided
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect();
        let new: Vec<Message> = messages_to_store(&stored, &pairs)
            .into_iter()
            .map(|i| provided[i].clone())
            .collect();
        self.insert_messages(&txn, chat_id, &new).await?;
        self.commit(txn).await?;
        Ok(true)
    }
    async fn ping(&self) -> Result<(), StorageError> {
        self.select_one().await.map_err(|e| self.fail(e))
    }
}
