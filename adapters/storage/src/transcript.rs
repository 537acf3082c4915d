//! Reading a chat's whole transcript. On SQLite the rows come back as one
//! JSON array built by SQLite itself: the sqlx driver hands every result row
//! from its worker thread to the async side one at a time, and for a long
//! chat those handoffs cost more than the query. PostgreSQL streams rows
//! cheaply and reads them as usual.
//!
//! Each message's metadata is taken from that array as raw text and parsed
//! on its own: the array adds two levels of nesting around it, and parsed
//! as a whole, metadata as deep as the parser allows (which rows stored
//! before the edge bounded the depth may be) would exceed its limit.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::value::RawValue;
use sybil_domain::{Message, Timestamp};
use sybil_ports::outbound::StorageError;
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::messages;
use crate::mapper;

/// One array per message, in `seq` order: id (hex), created_at, role,
/// content, name, metadata (JSON or null).
const SQLITE_TRANSCRIPT: &str = "SELECT json_group_array(\
     json_array(hex(id), created_at, role, content, name, json(metadata)) ORDER BY seq) \
     FROM messages WHERE chat_id = ?";

type Row = (
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<Box<RawValue>>,
);

impl SeaOrmStorage {
    /// The chat's messages in creation order.
    pub(crate) async fn transcript(&self, chat_id: Uuid) -> Result<Vec<Message>, StorageError> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return messages::Entity::find()
                .filter(messages::Column::ChatId.eq(chat_id))
                .order_by_asc(messages::Column::Seq)
                .all(&self.db)
                .await
                .map_err(|e| self.fail(e))?
                .into_iter()
                .map(mapper::message_from_row)
                .collect();
        }
        let statement =
            Statement::from_sql_and_values(DbBackend::Sqlite, SQLITE_TRANSCRIPT, [chat_id.into()]);
        let json: String = match self
            .db
            .query_one_raw(statement)
            .await
            .map_err(|e| self.fail(e))?
        {
            Some(row) => row.try_get_by_index(0).map_err(|e| self.fail(e))?,
            None => return Ok(Vec::new()),
        };
        let rows: Vec<Row> = serde_json::from_str(&json).map_err(|e| corrupt(&e))?;
        rows.into_iter()
            .map(|(id, created_at, role, content, name, metadata)| {
                Ok(Message {
                    id: Uuid::try_parse(&id).map_err(|e| corrupt(&e))?,
                    created_at: Timestamp(created_at),
                    role: mapper::role_from_column(&role)?,
                    content,
                    name,
                    metadata: metadata
                        .map(|raw| serde_json::from_str(raw.get()))
                        .transpose()
                        .map_err(|e| corrupt(&e))?,
                })
            })
            .collect()
    }
}

fn corrupt(e: &dyn std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("corrupt transcript row: {e}"))
}
