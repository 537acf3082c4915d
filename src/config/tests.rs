use std::collections::HashMap;

use base64::Engine as _;

use super::test_key::MADE_UP_SSH_KEY;
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
    assert_eq!(c.database_url.expose(), DEFAULT_DATABASE_URL);
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
    assert!(c.database_url.expose().starts_with("postgres://"));
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

#[test]
fn debug_shows_no_secret() {
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(MADE_UP_SSH_KEY);
    let secrets = [
        ("DATABASE_URL", "postgres://sybil:pgpassword@db/sybil"),
        ("ADMIN_TOKEN", "admintoken"),
        ("OPENAI_API_KEY", "openaikey"),
        ("ANTHROPIC_API_KEY", "anthropickey"),
        ("XAI_API_KEY", "xaikey"),
        ("EXA_API_KEY", "exakey"),
    ];
    let mut vars = secrets.to_vec();
    vars.extend([
        ("CHAT_SHELL_TOOL_ENABLED", "true"),
        ("CHAT_CODEX_REMOTE_HOST", "dev@box"),
        ("CHAT_CODEX_SSH_PRIVATE_KEY_B64", &key_b64),
    ]);
    let c = load(&vars).unwrap();
    assert!(c.devbox.is_some());
    let debug = format!("{c:?}");
    for secret in [
        "pgpassword",
        "admintoken",
        "openaikey",
        "anthropickey",
        "xaikey",
        "exakey",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(!debug.contains("secretbody"), "{debug}");
    assert!(!debug.contains(&key_b64), "{debug}");
}

#[test]
fn tool_settings_have_their_defaults() {
    let c = load(&[]).unwrap();
    assert_eq!(c.max_tool_rounds, 100);
    assert!(!c.fetch_allow_private_networks);
    assert_eq!(c.web_search, SearchEngine::Exa);
    assert_eq!(c.exa_base_url, "https://api.exa.ai");
    assert!(c.devbox.is_none() && c.exa_api_key.is_none());
}

#[test]
fn booleans_counts_and_engines_are_checked() {
    let err = load(&[
        ("FETCH_ALLOW_PRIVATE_NETWORKS", "yes"),
        ("CHAT_MAX_TOOL_ROUNDS", "0"),
        ("CHAT_WEB_SEARCH_ENGINE", "google"),
    ])
    .unwrap_err();
    assert_eq!(err.0.len(), 3, "{err}");
    assert!(
        err.0[0].starts_with("CHAT_WEB_SEARCH_ENGINE: must be exa or searxng"),
        "{err}"
    );
    assert!(
        err.0[1].starts_with("CHAT_MAX_TOOL_ROUNDS: must be a positive integer"),
        "{err}"
    );
    assert!(
        err.0[2].starts_with("FETCH_ALLOW_PRIVATE_NETWORKS: must be true, false, 1 or 0"),
        "{err}"
    );

    let err = load(&[("CHAT_WEB_SEARCH_ENGINE", "searxng")]).unwrap_err();
    assert_eq!(
        err.0,
        ["SEARXNG_BASE_URL: required when CHAT_WEB_SEARCH_ENGINE=searxng"]
    );
    let c = load(&[
        ("CHAT_WEB_SEARCH_ENGINE", "searxng"),
        ("SEARXNG_BASE_URL", "http://127.0.0.1:8888/"),
        ("FETCH_ALLOW_PRIVATE_NETWORKS", "1"),
    ])
    .unwrap();
    assert_eq!(
        c.web_search,
        SearchEngine::Searxng {
            base_url: "http://127.0.0.1:8888".into()
        }
    );
    assert!(c.fetch_allow_private_networks);
}

#[test]
fn an_enabled_devbox_tool_needs_a_host_and_a_key() {
    let err = load(&[("CHAT_SHELL_TOOL_ENABLED", "true")]).unwrap_err();
    assert!(
        err.0.iter().any(|l| l.contains("CHAT_CODEX_REMOTE_HOST")),
        "{err}"
    );
    assert!(
        err.0.iter().any(|l| l.contains("CHAT_CODEX_SSH_KEY_PATH")
            || l.contains("CHAT_CODEX_SSH_PRIVATE_KEY_B64")),
        "{err}"
    );
}

#[test]
fn rate_limit_defaults_to_120_and_zero_disables_it() {
    assert_eq!(load(&[]).unwrap().rate_limit_per_minute, 120);
    let off = load(&[("RATE_LIMIT_PER_MINUTE", "0")]).unwrap();
    assert_eq!(off.rate_limit_per_minute, 0);
    let errors = load(&[("RATE_LIMIT_PER_MINUTE", "-1")]).unwrap_err();
    assert_eq!(
        errors.0,
        vec![
            "RATE_LIMIT_PER_MINUTE: must be a non-negative integer (0 disables the limit) (got \"-1\")"
        ]
    );
}

#[test]
fn connection_limits_have_their_defaults_and_are_checked() {
    let defaults = load(&[]).unwrap().connections;
    assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
    assert_eq!(defaults.max_connections, 4096);
    let set = load(&[
        ("HTTP_HEADER_READ_TIMEOUT_MS", "2500"),
        ("HTTP_IDLE_TIMEOUT_MS", "90000"),
        ("HTTP_MAX_CONNECTIONS", "100"),
    ])
    .unwrap()
    .connections;
    assert_eq!(set.header_read_timeout, Duration::from_millis(2500));
    assert_eq!(set.idle_timeout, Duration::from_secs(90));
    assert_eq!(set.max_connections, 100);
    let errors = load(&[
        ("HTTP_HEADER_READ_TIMEOUT_MS", "0"),
        ("HTTP_MAX_CONNECTIONS", "lots"),
    ])
    .unwrap_err();
    assert_eq!(
        errors.0,
        vec![
            "HTTP_HEADER_READ_TIMEOUT_MS: must be a positive integer (got \"0\")",
            "HTTP_MAX_CONNECTIONS: must be a positive integer (got \"lots\")",
        ]
    );
}

#[test]
fn the_shutdown_drain_defaults_to_30_s_and_must_be_positive() {
    assert_eq!(load(&[]).unwrap().shutdown_drain, Duration::from_secs(30));
    let short = load(&[("SHUTDOWN_DRAIN_MS", "2500")]).unwrap();
    assert_eq!(short.shutdown_drain, Duration::from_millis(2500));
    let errors = load(&[("SHUTDOWN_DRAIN_MS", "0")]).unwrap_err();
    assert!(
        errors.0[0].starts_with("SHUTDOWN_DRAIN_MS: must be a positive integer"),
        "{errors}"
    );
}

#[test]
fn redis_is_optional_and_its_url_never_shown() {
    assert!(load(&[]).unwrap().redis_url.is_none());
    assert!(load(&[("REDIS_URL", " ")]).unwrap().redis_url.is_none());
    let set = load(&[("REDIS_URL", "redis://:pw@127.0.0.1:6379/0")]).unwrap();
    assert_eq!(
        set.redis_url.as_ref().map(Secret::expose),
        Some("redis://:pw@127.0.0.1:6379/0")
    );
    for refused in ["http://:pw@127.0.0.1:6379", "rediss://127.0.0.1:6379"] {
        let errors = load(&[("REDIS_URL", refused)]).unwrap_err();
        assert_eq!(
            errors.0,
            vec![
                "REDIS_URL: must be a redis:// URL, or unix:// for a socket (rediss:// is not supported)"
            ]
        );
        assert!(!errors.to_string().contains("pw@"));
    }
}
