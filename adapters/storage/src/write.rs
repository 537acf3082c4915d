//! Shared plumbing of the repositories: error mapping and write transactions.

use sea_orm::{
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sybil_ports::outbound::StorageError;
use tokio::sync::OwnedMutexGuard;

use crate::SeaOrmStorage;

/// This process's turn to write (SQLite), held until the write is done.
pub(crate) type WriteTurn = Option<OwnedMutexGuard<()>>;

impl SeaOrmStorage {
    pub(crate) fn fail(&self, err: DbErr) -> StorageError {
        self.redactor.map(err)
    }

    /// Waits for this process's turn to write to SQLite (PostgreSQL has
    /// row locks and needs none). SQLite allows one writer at a time, and
    /// writers that meet its lock poll for it with sleeps of milliseconds; a
    /// fair queue in the process hands the lock straight on instead. The
    /// busy timeout still covers other processes on the same file.
    pub(crate) async fn write_turn(&self) -> WriteTurn {
        match &self.writers {
            Some(writers) => Some(writers.clone().lock_owned().await),
            None => None,
        }
    }

    /// A write transaction and the turn it holds. On SQLite it is
    /// `BEGIN IMMEDIATE`: the write lock is taken up front, where the busy
    /// timeout applies, instead of on a later statement that could fail at
    /// once with SQLITE_BUSY.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<(DatabaseTransaction, WriteTurn), StorageError> {
        let turn = self.write_turn().await;
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok((txn, turn))
    }

    pub(crate) async fn rollback(&self, txn: DatabaseTransaction) -> Result<(), StorageError> {
        txn.rollback().await.map_err(|e| self.fail(e))
    }

    pub(crate) async fn commit(&self, txn: DatabaseTransaction) -> Result<(), StorageError> {
        txn.commit().await.map_err(|e| self.fail(e))
    }
}
