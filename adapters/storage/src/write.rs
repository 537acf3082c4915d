//! Shared plumbing of the repositories: error mapping and write transactions.

use sea_orm::{
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sybil_ports::outbound::StorageError;

use crate::SeaOrmStorage;

impl SeaOrmStorage {
    pub(crate) fn fail(&self, err: DbErr) -> StorageError {
        self.redactor.map(err)
    }

    /// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock
    /// is taken up front, where the busy timeout applies, instead of on a
    /// later statement that could fail at once with SQLITE_BUSY.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StorageError> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .map_err(|e| self.fail(e))
    }

    pub(crate) async fn rollback(&self, txn: DatabaseTransaction) -> Result<(), StorageError> {
        txn.rollback().await.map_err(|e| self.fail(e))
    }

    pub(crate) async fn commit(&self, txn: DatabaseTransaction) -> Result<(), StorageError> {
        txn.commit().await.map_err(|e| self.fail(e))
    }
}
