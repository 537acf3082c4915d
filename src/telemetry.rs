//! Logging: text or JSON lines through `tracing`, filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Noisy dependency targets are held at warn
/// (PostgreSQL's "already exists, skipping" notices on every start).
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(format!(
        "{filter},sqlx::postgres::notice=warn,sqlx::query=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        // Colour codes only for a person at a terminal: in a file or a log
        // collector they are noise, and writing them cost time per line.
        .with_ansi(std::io::stdout().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
