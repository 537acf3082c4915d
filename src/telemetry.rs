//! Logging: text or JSON lines through `tracing`, filtered by `RUST_LOG`.
//!
//! Lines are formatted on the thread that logs and written by a thread of
//! their own, in batches (`batch_writer`): a request's `request finished`
//! line costs a copy into a buffer instead of a `write` on the runtime's
//! thread, and a slow log reader (a full pipe) slows the log thread, not the
//! requests. No line is dropped: past `LIMITS.max` waiting bytes, loggers
//! wait for the writer. Lines waiting when the process ends are written by
//! `LogGuard`'s drop.

mod batch_writer;
mod plain_fields;

use std::io::IsTerminal;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use self::batch_writer::{Limits, WriterGuard};
use self::plain_fields::PlainFields;
use crate::config::LogFormat;

/// Under load the writer thread wakes about every `linger` and writes what
/// gathered; 10 ms keeps lines prompt for a person watching the log.
const LIMITS: Limits = Limits {
    linger: Duration::from_millis(10),
    flush_at: 64 * 1024,
    max: 1024 * 1024,
};

/// Writes the lines still waiting when dropped: hold it until the end.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WriterGuard>,
}

/// Installs the global subscriber. Noisy dependency targets are held at warn
/// (PostgreSQL's "already exists, skipping" notices on every start).
pub fn init(format: LogFormat, filter: &str) -> LogGuard {
    let filter = EnvFilter::try_new(format!(
        "{filter},sqlx::postgres::notice=warn,sqlx::query=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    match batch_writer::spawn("log-writer", LIMITS, std::io::stdout()) {
        Ok((writer, guard)) => LogGuard {
            // A subscriber installed before (tests) keeps its own writer.
            _writer: install(format, filter, writer).then_some(guard),
        },
        Err(e) => {
            eprintln!("sybil: no log writer thread ({e}); each thread writes its own lines");
            install(format, filter, std::io::stdout);
            LogGuard { _writer: None }
        }
    }
}

/// Installs the subscriber writing through `writer`; false when one was
/// installed before.
fn install<W>(format: LogFormat, filter: EnvFilter, writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // Colour codes only for a person at a terminal: in a file or a log
    // collector they are noise, and writing them cost time per line.
    let colour = std::io::stdout().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colour);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text if colour => builder.try_init(),
        LogFormat::Text => builder.fmt_fields(PlainFields).try_init(),
    }
    .is_ok()
}
