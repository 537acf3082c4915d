//! Configuration from the environment: every variable checked at startup,
//! each invalid one reported on its own line naming it.

mod accounts;
mod conversations;
mod devbox;
mod reader;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use sybil_domain::Secret;
use sybil_domain::tool_loop::DEFAULT_MAX_TOOL_ROUNDS;
use sybil_http::ConnectionLimits;

pub use self::accounts::AccountsConfig;
pub use self::conversations::ConversationsConfig;
pub use self::devbox::DevboxConfig;
use self::reader::Reader;

/// What `REDIS_URL` may be: the adapter speaks plain TCP or a Unix socket.
const REDIS_URL_RULE: &str =
    "REDIS_URL: must be a redis:// URL, or unix:// for a socket (rediss:// is not supported)";

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/sybil.db?mode=rwc";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// One LLM provider's settings; without a key the provider is unconfigured.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub api_key: Option<Secret>,
    pub base_url: String,
    /// `*_MODELS`: the fallback list, trimmed; `None` uses the built-in one.
    pub fallback_models: Option<Vec<String>>,
}

/// The engine behind the `web_search` tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchEngine {
    Exa,
    Searxng { base_url: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    /// May hold a password (`postgres://user:password@…`), so it is a
    /// `Secret`: `Debug` does not print it.
    pub database_url: Secret,
    /// `None` is open mode.
    pub admin_token: Option<Secret>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub openai: ProviderConfig,
    pub anthropic: ProviderConfig,
    pub xai: ProviderConfig,
    /// `UPSTREAM_TIMEOUT_MS`: each upstream HTTP call.
    pub upstream_timeout: Duration,
    pub exa_api_key: Option<Secret>,
    pub exa_base_url: String,
    pub web_search: SearchEngine,
    pub max_tool_rounds: u32,
    pub fetch_allow_private_networks: bool,
    pub devbox: Option<DevboxConfig>,
    /// `COMPLETION_EVENTS_RETENTION_HOURS`: how long a finished resumable
    /// completion's events are kept.
    pub completion_retention: Duration,
    /// `RATE_LIMIT_PER_MINUTE`: each client's requests per minute on the
    /// model and search routes; `0` disables the limit.
    pub rate_limit_per_minute: u32,
    /// `REDIS_URL`: rate-limit buckets shared by every replica; unset, each
    /// process keeps its own.
    pub redis_url: Option<Secret>,
    /// `HTTP_HEADER_READ_TIMEOUT_MS`, `HTTP_IDLE_TIMEOUT_MS`,
    /// `HTTP_MAX_CONNECTIONS`.
    pub connections: ConnectionLimits,
    /// `SHUTDOWN_DRAIN_MS`: after SIGTERM/SIGINT, how long requests, streams
    /// and resumable jobs may run before what is left is stopped.
    pub shutdown_drain: Duration,
    /// The multi-user API's accounts and sign-in.
    pub accounts: AccountsConfig,
    /// The multi-user API's conversations.
    pub conversations: ConversationsConfig,
}

/// Every problem found, one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigErrors> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests pass a map instead of
    /// mutating the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
        let mut r = Reader::new(&lookup);
        let host = r.parse(
            "HOST",
            IpAddr::from([127, 0, 0, 1]),
            "must be an IP address",
            |v| v.parse().ok(),
        );
        let port = r.parse(
            "PORT",
            8787u16,
            "must be a port number from 0 to 65535",
            |v| v.parse().ok(),
        );
        let log_format = r.parse(
            "LOG_FORMAT",
            LogFormat::Text,
            "must be text or json",
            |v| match v {
                "text" => Some(LogFormat::Text),
                "json" => Some(LogFormat::Json),
                _ => None,
            },
        );
        let database_url = r.parse(
            "DATABASE_URL",
            DEFAULT_DATABASE_URL.to_string(),
            "must start with sqlite: or postgres:// (or postgresql://)",
            |v| {
                (v.starts_with("sqlite:")
                    || v.starts_with("postgres://")
                    || v.starts_with("postgresql://"))
                .then(|| v.to_string())
            },
        );
        let upstream_timeout = Duration::from_millis(r.positive("UPSTREAM_TIMEOUT_MS", 120_000));
        let mut provider = |key: &str, url: &str, default_url: &str, models: &str| ProviderConfig {
            api_key: r.get(key).map(Secret::new),
            base_url: r.url(url, default_url),
            fallback_models: r.list(models),
        };
        let openai = provider(
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "https://api.openai.com/v1",
            "OPENAI_MODELS",
        );
        let anthropic = provider(
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_BASE_URL",
            "https://api.anthropic.com",
            "ANTHROPIC_MODELS",
        );
        let xai = provider(
            "XAI_API_KEY",
            "XAI_BASE_URL",
            "https://api.x.ai/v1",
            "XAI_MODELS",
        );
        let exa_base_url = r.url("EXA_BASE_URL", "https://api.exa.ai");
        let web_search = match r.get("CHAT_WEB_SEARCH_ENGINE").as_deref() {
            None | Some("exa") => SearchEngine::Exa,
            Some("searxng") => match r.get("SEARXNG_BASE_URL") {
                Some(_) => SearchEngine::Searxng {
                    base_url: r.url("SEARXNG_BASE_URL", ""),
                },
                None => {
                    r.errors.push(
                        "SEARXNG_BASE_URL: required when CHAT_WEB_SEARCH_ENGINE=searxng".into(),
                    );
                    SearchEngine::Exa
                }
            },
            Some(other) => {
                r.errors.push(format!(
                    "CHAT_WEB_SEARCH_ENGINE: must be exa or searxng (got {other:?})"
                ));
                SearchEngine::Exa
            }
        };
        let max_tool_rounds = r.positive("CHAT_MAX_TOOL_ROUNDS", DEFAULT_MAX_TOOL_ROUNDS.into());
        let fetch_allow_private_networks = r.flag("FETCH_ALLOW_PRIVATE_NETWORKS", false);
        let devbox = devbox::devbox(&mut r, &lookup);
        let retention_hours = r.positive("COMPLETION_EVENTS_RETENTION_HOURS", 24);
        let rate_limit_per_minute = r.parse(
            "RATE_LIMIT_PER_MINUTE",
            120u32,
            "must be a non-negative integer (0 disables the limit)",
            |v| v.parse().ok(),
        );
        let redis_url = r.get("REDIS_URL").filter(|u| !u.trim().is_empty());
        if let Some(url) = &redis_url
            && !["redis://", "unix://", "redis+unix://"]
                .iter()
                .any(|scheme| url.trim().starts_with(scheme))
        {
            r.errors.push(REDIS_URL_RULE.to_string());
        }
        let connections = connection_limits(&mut r);
        let shutdown_drain = Duration::from_millis(r.positive("SHUTDOWN_DRAIN_MS", 30_000));
        let accounts = accounts::accounts(&mut r, upstream_timeout);
        let conversations = conversations::conversations(&mut r);
        if !r.errors.is_empty() {
            return Err(ConfigErrors(r.errors));
        }
        Ok(Config {
            host,
            port,
            database_url: Secret::new(database_url),
            admin_token: lookup("ADMIN_TOKEN")
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            log_format,
            log_filter: r.get("RUST_LOG").unwrap_or_else(|| "info".into()),
            openai,
            anthropic,
            xai,
            upstream_timeout,
            exa_api_key: r.get("EXA_API_KEY").map(Secret::new),
            exa_base_url,
            web_search,
            max_tool_rounds: u32::try_from(max_tool_rounds).unwrap_or(u32::MAX),
            fetch_allow_private_networks,
            devbox,
            completion_retention: Duration::from_secs(retention_hours.saturating_mul(3600)),
            rate_limit_per_minute,
            redis_url: redis_url.map(Secret::new),
            connections,
            shutdown_drain,
            accounts,
            conversations,
        })
    }

    /// The log format alone, read leniently, so that configuration errors can
    /// themselves be logged in the requested format.
    pub fn log_format_from_env() -> LogFormat {
        match std::env::var("LOG_FORMAT").as_deref().map(str::trim) {
            Ok("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// The bounds on client connections; the defaults are `ConnectionLimits`'s.
fn connection_limits(r: &mut Reader) -> ConnectionLimits {
    let default = ConnectionLimits::default();
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    ConnectionLimits {
        header_read_timeout: Duration::from_millis(r.positive(
            "HTTP_HEADER_READ_TIMEOUT_MS",
            millis(default.header_read_timeout),
        )),
        idle_timeout: Duration::from_millis(
            r.positive("HTTP_IDLE_TIMEOUT_MS", millis(default.idle_timeout)),
        ),
        max_connections: usize::try_from(
            r.positive("HTTP_MAX_CONNECTIONS", default.max_connections as u64),
        )
        .unwrap_or(usize::MAX),
    }
}

#[cfg(test)]
mod test_key;
#[cfg(test)]
mod tests;
