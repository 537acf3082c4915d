//! The call log off the request path: calls are queued and written by one
//! task, many rows per statement, so a completion answers without waiting
//! for its audit row and concurrent completions share their writes.

use std::time::Duration;

use async_trait::async_trait;
use sybil_domain::LlmCall;
use sybil_ports::outbound::{CallLog, StorageError};
use tokio::sync::{mpsc, oneshot};

use crate::SeaOrmStorage;

/// Calls waiting to be written; a full queue makes callers wait.
const QUEUE: usize = 1024;
/// Rows per statement at most.
const MAX_BATCH: usize = 256;
/// How long the writer lets a burst gather before writing it: a statement
/// and a commit cost far more than a row, so under load rows share them
/// (profiled: one commit per few rows was an eighth of the machine at
/// concurrency 64). A flush does not wait.
const LINGER: Duration = Duration::from_millis(5);

enum Entry {
    Call(Box<LlmCall>),
    /// Answered once every call queued before it has been written.
    Flush(oneshot::Sender<()>),
}

/// A `CallLog` that queues calls for a background writer. Cloning shares
/// the queue.
#[derive(Clone)]
pub struct QueuedCallLog {
    queue: mpsc::Sender<Entry>,
}

impl QueuedCallLog {
    /// Starts the writer on the current Tokio runtime; it ends when every
    /// clone is dropped, after writing what was queued.
    pub fn spawn(storage: SeaOrmStorage) -> QueuedCallLog {
        let (queue, entries) = mpsc::channel(QUEUE);
        tokio::spawn(write_queued(storage, entries));
        QueuedCallLog { queue }
    }

    /// Waits until every call queued so far is written (or, after the
    /// retries, failed and logged): at shutdown, and in tests before reading the rows.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Entry::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

#[async_trait]
impl CallLog for QueuedCallLog {
    async fn record_call(&self, call: &LlmCall) -> Result<(), StorageError> {
        self.queue
            .send(Entry::Call(Box::new(call.clone())))
            .await
            .map_err(|_| StorageError::Unavailable("the call log writer has stopped".into()))
    }
}

async fn write_queued(storage: SeaOrmStorage, mut entries: mpsc::Receiver<Entry>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while entries.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let flushing = batch.iter().any(|e| matches!(e, Entry::Flush(_)));
        if !flushing && batch.len() < MAX_BATCH {
            tokio::time::sleep(LINGER).await;
            while batch.len() < MAX_BATCH {
                match entries.try_recv() {
                    Ok(entry) => batch.push(entry),
                    Err(_) => break,
                }
            }
        }
        let mut calls = Vec::with_capacity(batch.len());
        let mut flushes = Vec::new();
        for entry in batch.drain(..) {
            match entry {
                Entry::Call(call) => calls.push(*call),
                Entry::Flush(done) => flushes.push(done),
            }
        }
        // The call rows are an audit trail and the answers were already
        // given: a row that could not be stored was logged where it failed.
        let _ = storage.record_calls(&calls).await;
        for done in flushes {
            let _ = done.send(());
        }
    }
}
