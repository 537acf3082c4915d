//! Configuration from the environment: every variable checked at startup,
//! each invalid one reported on its own line naming it.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use sybil_domain::Secret;

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

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub database_url: String,
    /// `None` is open mode.
    pub admin_token: Option<Secret>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub openai: ProviderConfig,
    pub anthropic: ProviderConfig,
    pub xai: ProviderConfig,
    /// `UPSTREAM_TIMEOUT_MS`: each upstream HTTP call.
    pub upstream_timeout: Duration,
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
    /// mutating the process environment. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut errors = Vec::new();
        let mut parse = |name: &str, default: &str, rule: &str, ok: &dyn Fn(&str) -> bool| {
            let value = get(name).unwrap_or_else(|| default.to_string());
            if ok(value.trim()) {
                value.trim().to_string()
            } else {
                errors.push(format!("{name}: {rule} (got {value:?})"));
                default.to_string()
            }
        };
        let host = parse("HOST", "127.0.0.1", "must be an IP address", &|v| {
            v.parse::<IpAddr>().is_ok()
        });
        let port = parse(
            "PORT",
            "8787",
            "must be a port number from 0 to 65535",
            &|v| v.parse::<u16>().is_ok(),
        );
        let log_format = parse("LOG_FORMAT", "text", "must be text or json", &|v| {
            matches!(v, "text" | "json")
        });
        let database_url = parse(
            "DATABASE_URL",
            DEFAULT_DATABASE_URL,
            "must start with sqlite: or postgres:// (or postgresql://)",
            &|v| {
                v.starts_with("sqlite:")
                    || v.starts_with("postgres://")
                    || v.starts_with("postgresql://")
            },
        );
        let timeout = parse(
            "UPSTREAM_TIMEOUT_MS",
            "120000",
            "must be a positive integer",
            &|v| v.parse::<u64>().is_ok_and(|n| n > 0),
        );
        let mut base_url = |name: &str, default: &str| {
            parse(name, default, "must be an http:// or https:// URL", &|v| {
                v.starts_with("http://") || v.starts_with("https://")
            })
            .trim_end_matches('/')
            .to_string()
        };
        let openai_url = base_url("OPENAI_BASE_URL", "https://api.openai.com/v1");
        let anthropic_url = base_url("ANTHROPIC_BASE_URL", "https://api.anthropic.com");
        let xai_url = base_url("XAI_BASE_URL", "https://api.x.ai/v1");
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        let provider = |key: &str, models: &str, base_url: String| ProviderConfig {
            api_key: get(key).map(|k| Secret::new(k.trim())),
            base_url,
            fallback_models: get(models).map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(String::from)
                    .collect()
            }),
        };
        Ok(Config {
            host: host.parse().unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: port.parse().unwrap_or(8787),
            database_url,
            admin_token: lookup("ADMIN_TOKEN")
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            log_format: if log_format == "json" {
                LogFormat::Json
            } else {
                LogFormat::Text
            },
            log_filter: get("RUST_LOG").unwrap_or_else(|| "info".into()),
            openai: provider("OPENAI_API_KEY", "OPENAI_MODELS", openai_url),
            anthropic: provider("ANTHROPIC_API_KEY", "ANTHROPIC_MODELS", anthropic_url),
            xai: provider("XAI_API_KEY", "XAI_MODELS", xai_url),
            upstream_timeout: Duration::from_millis(timeout.parse().unwrap_or(120_000)),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_variables() {
        let c = load(&[]).unwrap();
        assert_eq!(c.host.to_string(), "127.0.0.1");
        assert_eq!(c.port, 8787);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert!(c.admin_token.is_none());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.log_filter, "info");
    }

    #[test]
    fn every_bad_variable_gets_its_own_line() {
        let err = load(&[
            ("PORT", "80000"),
            ("HOST", "localhost:1"),
            ("LOG_FORMAT", "xml"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        assert!(
            err.0
                .iter()
                .any(|l| l.starts_with("PORT: must be a port number"))
        );
        assert!(
            err.0
                .iter()
                .any(|l| l.starts_with("HOST: must be an IP address"))
        );
        assert!(
            err.0
                .iter()
                .any(|l| l.starts_with("LOG_FORMAT: must be text or json"))
        );
    }

    #[test]
    fn database_url_must_name_a_supported_backend() {
        let err = load(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.0[0].starts_with("DATABASE_URL:"));
        let c = load(&[("DATABASE_URL", "postgres://postgres@127.0.0.1/test")]).unwrap();
        assert!(c.database_url.starts_with("postgres://"));
    }

    #[test]
    fn providers_are_configured_by_their_keys() {
        let c = load(&[
            ("OPENAI_API_KEY", "sk-1"),
            ("XAI_BASE_URL", "http://127.0.0.1:9/v1/"),
            ("ANTHROPIC_MODELS", " claude-a , ,claude-b "),
            ("UPSTREAM_TIMEOUT_MS", "2500"),
        ])
        .unwrap();
        assert_eq!(c.openai.api_key.as_ref().map(Secret::expose), Some("sk-1"));
        assert_eq!(c.openai.base_url, "https://api.openai.com/v1");
        assert!(c.xai.api_key.is_none());
        assert_eq!(c.xai.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(c.anthropic.base_url, "https://api.anthropic.com");
        assert_eq!(
            c.anthropic.fallback_models,
            Some(vec!["claude-a".to_string(), "claude-b".to_string()])
        );
        assert_eq!(c.openai.fallback_models, None);
        assert_eq!(c.upstream_timeout, Duration::from_millis(2500));
        assert!(!format!("{c:?}").contains("sk-1"));
    }

    #[test]
    fn bad_upstream_settings_are_named() {
        let err = load(&[
            ("UPSTREAM_TIMEOUT_MS", "0"),
            ("OPENAI_BASE_URL", "api.openai.com"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert!(err.0[0].starts_with("UPSTREAM_TIMEOUT_MS: must be a positive integer"));
        assert!(err.0[1].starts_with("OPENAI_BASE_URL: must be an http:// or https:// URL"));
    }

    #[test]
    fn admin_token_is_kept_secret() {
        let c = load(&[("ADMIN_TOKEN", "s3cret"), ("LOG_FORMAT", "json")]).unwrap();
        assert_eq!(c.admin_token.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(load(&[("ADMIN_TOKEN", "")]).unwrap().admin_token.is_none());
    }
}
