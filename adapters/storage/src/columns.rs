//! Reading the columns of raw rows, for every store that runs plain SQL.

use sea_orm::{QueryResult, TryGetable};
use sybil_ports::outbound::StorageError;

pub(crate) fn corrupt(what: impl Into<String>) -> StorageError {
    StorageError::Internal(what.into())
}

/// A column of a row; a missing or mistyped one is a corrupt database.
pub(crate) fn get<T: TryGetable>(row: &QueryResult, column: &str) -> Result<T, StorageError> {
    row.try_get("", column)
        .map_err(|e| corrupt(format!("column {column}: {e}")))
}

pub(crate) fn count(row: &QueryResult, column: &str) -> Result<u64, StorageError> {
    Ok(get::<i64>(row, column)?.max(0) as u64)
}
