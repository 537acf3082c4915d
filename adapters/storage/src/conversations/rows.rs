//! Running plain statements, and reading rows into domain types.

use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use sybil_domain::conversation::model::{
    Conversation, MessageRole, ReplyError, ReplyStatus, ThreadMessage,
};
use sybil_domain::conversation::{ConversationRole, MessagePath, PresenceStatus};
use sybil_domain::{Provider, Timestamp};
use sybil_ports::outbound::StorageError;
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::columns::{corrupt, count, get};

impl SeaOrmStorage {
    fn statement(&self, db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(db.get_database_backend(), sql, values)
    }

    /// Runs a change; the number of rows it touched.
    pub(crate) async fn run(
        &self,
        db: &impl ConnectionTrait,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<u64, StorageError> {
        let done = db
            .execute_raw(self.statement(db, sql, values))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn rows(
        &self,
        db: &impl ConnectionTrait,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<QueryResult>, StorageError> {
        db.query_all_raw(self.statement(db, sql, values))
            .await
            .map_err(|e| self.fail(e))
    }

    pub(crate) async fn row(
        &self,
        db: &impl ConnectionTrait,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Option<QueryResult>, StorageError> {
        db.query_one_raw(self.statement(db, sql, values))
            .await
            .map_err(|e| self.fail(e))
    }
}

pub(crate) fn millis(row: &QueryResult, column: &str) -> Result<Timestamp, StorageError> {
    get::<i64>(row, column).map(Timestamp)
}

pub(crate) fn maybe_millis(
    row: &QueryResult,
    column: &str,
) -> Result<Option<Timestamp>, StorageError> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp))
}

pub(crate) fn role(row: &QueryResult, column: &str) -> Result<ConversationRole, StorageError> {
    let text: String = get(row, column)?;
    ConversationRole::parse(&text).ok_or_else(|| corrupt(format!("unknown role {text:?}")))
}

pub(crate) fn presence_status(text: Option<String>) -> Result<PresenceStatus, StorageError> {
    match text {
        None => Ok(PresenceStatus::Online),
        Some(text) => PresenceStatus::parse(&text)
            .ok_or_else(|| corrupt(format!("unknown presence status {text:?}"))),
    }
}

fn model(
    provider: Option<String>,
    model: Option<String>,
) -> Result<Option<(Provider, String)>, StorageError> {
    match (provider, model) {
        (Some(p), Some(m)) => {
            let provider = p
                .parse::<Provider>()
                .map_err(|_| corrupt(format!("unknown provider {p:?}")))?;
            Ok(Some((provider, m)))
        }
        _ => Ok(None),
    }
}

pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.title, c.is_group, c.created_by, c.created_at, c.last_activity_at, c.provider, c.model";

pub(crate) fn conversation(row: &QueryResult) -> Result<Conversation, StorageError> {
    Ok(Conversation {
        id: get(row, "id")?,
        title: get(row, "title")?,
        is_group: get(row, "is_group")?,
        created_by: get(row, "created_by")?,
        created_at: millis(row, "created_at")?,
        last_activity_at: millis(row, "last_activity_at")?,
        defaults: model(get(row, "provider")?, get(row, "model")?)?,
    })
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, root_id, parent_id, \
     author_user_id, role, content, path, created_at, edited_at, deleted_at, deleted_by, status, \
     error_code, error_message, provider, model";

pub(crate) fn message_row(row: &QueryResult) -> Result<ThreadMessage, StorageError> {
    let id: Uuid = get(row, "id")?;
    let role_text: String = get(row, "role")?;
    let path_text: String = get(row, "path")?;
    let status: Option<String> = get(row, "status")?;
    let error = match (
        get::<Option<String>>(row, "error_code")?,
        get::<Option<String>>(row, "error_message")?,
    ) {
        (Some(code), Some(message)) => Some(ReplyError { code, message }),
        _ => None,
    };
    Ok(ThreadMessage {
        id,
        conversation_id: get(row, "conversation_id")?,
        seq: count(row, "seq")?,
        root_id: get(row, "root_id")?,
        parent_id: get(row, "parent_id")?,
        author: get(row, "author_user_id")?,
        role: MessageRole::parse(&role_text)
            .ok_or_else(|| corrupt(format!("message {id} has the role {role_text:?}")))?,
        content: get(row, "content")?,
        path: MessagePath::parse(&path_text)
            .ok_or_else(|| corrupt(format!("message {id} has the path {path_text:?}")))?,
        created_at: millis(row, "created_at")?,
        edited_at: maybe_millis(row, "edited_at")?,
        deleted_at: maybe_millis(row, "deleted_at")?,
        deleted_by: get(row, "deleted_by")?,
        status: status
            .map(|s| {
                ReplyStatus::parse(&s)
                    .ok_or_else(|| corrupt(format!("message {id} has the status {s:?}")))
            })
            .transpose()?,
        error,
        reply_model: model(get(row, "provider")?, get(row, "model")?)?,
    })
}
