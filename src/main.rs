//! `sybil [serve] | openapi [--format yaml|json] | migrate`.

use std::io::{self, Write};
use std::process::ExitCode;

use sybil::config::{Config, LogFormat};
use sybil::{startup, telemetry};

const USAGE: &str = "usage: sybil [serve | migrate | openapi [--format yaml|json]]";

enum Command {
    Help,
    Serve,
    Migrate,
    OpenApi { json: bool },
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Serve),
        [cmd] if ["-h", "--help", "help"].contains(&cmd.as_str()) => Ok(Command::Help),
        [cmd] if cmd == "serve" => Ok(Command::Serve),
        [cmd] if cmd == "migrate" => Ok(Command::Migrate),
        [cmd] if cmd == "openapi" => Ok(Command::OpenApi { json: false }),
        [cmd, flag, format] if cmd == "openapi" && flag == "--format" => match format.as_str() {
            "yaml" => Ok(Command::OpenApi { json: false }),
            "json" => Ok(Command::OpenApi { json: true }),
            _ => Err(format!("--format must be yaml or json (got {format:?})")),
        },
        _ => Err(USAGE.to_string()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Help = command {
        return print_stdout(&format!("{USAGE}\n"));
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(errors) => {
            let _logs = telemetry::init(Config::log_format_from_env(), "info");
            for line in &errors.0 {
                tracing::error!("invalid configuration: {line}");
            }
            return ExitCode::FAILURE;
        }
    };
    if let Command::OpenApi { json } = command {
        return match startup::openapi_spec(&config, json) {
            Ok(spec) => print_stdout(&spec),
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let _logs = telemetry::init(config.log_format, &config.log_filter);
    let result = match command {
        Command::Migrate => startup::migrate(&config).await.map(|_| {
            tracing::info!("migrations applied");
        }),
        _ => {
            startup::raise_open_files_limit(config.connections.max_connections);
            match startup::Application::build(&config).await {
                Ok(app) => app.run_until_stopped().await,
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Once: on stderr for a person reading text, as a log line for a
        // collector reading JSON.
        Err(e) => {
            match config.log_format {
                LogFormat::Text => eprintln!("sybil: {e:#}"),
                LogFormat::Json => tracing::error!("{e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` to stdout. A reader that closed the pipe early (`| head`)
/// took what it wanted: that ends the command quietly, without a panic.
fn print_stdout(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sybil: writing to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}
