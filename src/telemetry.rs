//! Logging: text or JSON lines through `tracing`, filtered by `RUST_LOG`.
//!
//! Lines are formatted on the thread that logs and written by a thread of
//! their own, in batches: a request's `request finished` line costs a
//! channel send instead of a `write` on the runtime's worker, and a slow
//! log reader (a full pipe) slows the log thread, not the requests. No line
//! is dropped: past `BUFFERED_LINES` waiting lines, loggers wait for the
//! writer. Lines waiting when the process ends are written by `LogGuard`'s
//! drop.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Lines that may wait for the writer before a logger waits too.
const BUFFERED_LINES: usize = 4096;
/// Bytes gathered into one `write` while lines keep coming.
const WRITE_BUFFER: usize = 64 * 1024;

/// Writes the lines still waiting when dropped: hold it until the end.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber. Noisy dependency targets are held at warn
/// (PostgreSQL's "already exists, skipping" notices on every start).
pub fn init(format: LogFormat, filter: &str) -> LogGuard {
    let filter = EnvFilter::try_new(format!(
        "{filter},sqlx::postgres::notice=warn,sqlx::query=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    // The writer drains every waiting line before it flushes, so a burst
    // becomes a few large writes; an idle one writes each line at once.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::with_capacity(WRITE_BUFFER, std::io::stdout()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colour codes only for a person at a terminal: in a file or a log
        // collector they are noise, and writing them cost time per line.
        .with_ansi(std::io::stdout().is_terminal());
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // A subscriber installed before (tests) keeps its own writer.
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}
