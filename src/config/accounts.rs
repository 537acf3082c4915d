//! The settings of `/api` accounts (§1.8 of COLLAB-API.md): session
//! windows, cookies, CORS, trusted proxies, login throttles, and GitHub and
//! Apple sign-in (each configured, or the variables still to set).

use base64::Engine as _;
use std::time::Duration;
use sybil_domain::Secret;
use sybil_domain::account::TrustedProxies;

use sybil_http::CorsOrigins;
use sybil_oauth::{AppleSettings, GithubSettings};

use super::reader::Reader;

#[derive(Debug, Clone)]
pub struct AccountsConfig {
    pub session_idle_seconds: u64,
    pub session_absolute_seconds: u64,
    pub cookie_secure: bool,
    pub cors_origins: CorsOrigins,
    pub trusted_proxies: TrustedProxies,
    pub login_attempts_per_ip_per_minute: u32,
    pub login_failures_per_account: u32,
    pub oauth_success_url: String,
    /// The sign-in adapters' settings; `Err`: the variables still to set.
    pub github: Result<GithubSettings, Vec<String>>,
    pub apple: Result<AppleSettings, Vec<String>>,
}

fn count(r: &mut Reader, name: &str, default: u32) -> u32 {
    r.parse(name, default, "must be a non-negative integer", |v| {
        v.parse().ok()
    })
}

/// `timeout` is `UPSTREAM_TIMEOUT_MS`, which bounds the sign-in calls too.
pub(super) fn accounts(r: &mut Reader, timeout: Duration) -> AccountsConfig {
    let session_idle_seconds = r.positive("SESSION_IDLE_SECONDS", 28_800);
    let session_absolute_seconds = r.positive("SESSION_ABSOLUTE_SECONDS", 604_800);
    if session_absolute_seconds < session_idle_seconds {
        r.errors.push(format!(
            "SESSION_ABSOLUTE_SECONDS: must be at least SESSION_IDLE_SECONDS ({session_idle_seconds}) (got {session_absolute_seconds})"
        ));
    }
    let cors_origins = r.parse(
        "CORS_ALLOWED_ORIGINS",
        CorsOrigins::default(),
        "must be comma-separated origins (scheme://host[:port]), never *",
        |v| CorsOrigins::parse(v).ok(),
    );
    let trusted_proxies = r.parse(
        "TRUSTED_PROXIES",
        TrustedProxies::default(),
        "must be comma-separated CIDRs",
        |v| TrustedProxies::parse(v).ok(),
    );
    AccountsConfig {
        session_idle_seconds,
        session_absolute_seconds,
        cookie_secure: r.flag("SESSION_COOKIE_SECURE", true),
        cors_origins,
        trusted_proxies,
        login_attempts_per_ip_per_minute: count(r, "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", 10),
        login_failures_per_account: count(r, "LOGIN_FAILURES_PER_ACCOUNT_PER_15_MINUTES", 5),
        oauth_success_url: r.get("OAUTH_SUCCESS_URL").unwrap_or_else(|| "/".into()),
        github: github(r, timeout),
        apple: apple(r, timeout),
    }
}

/// Each of `names` that is unset.
fn missing(r: &Reader, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|n| r.get(n).is_none())
        .map(|n| n.to_string())
        .collect()
}

fn github(r: &mut Reader, timeout: Duration) -> Result<GithubSettings, Vec<String>> {
    let oauth_base_url = r.url("GITHUB_OAUTH_BASE_URL", "https://github.com");
    let api_base_url = r.url("GITHUB_API_BASE_URL", "https://api.github.com");
    let absent = missing(
        r,
        &[
            "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRET",
            "GITHUB_REDIRECT_URI",
        ],
    );
    if !absent.is_empty() {
        return Err(absent);
    }
    let get = |name| r.get(name).unwrap_or_default();
    Ok(GithubSettings {
        client_id: get("GITHUB_CLIENT_ID"),
        client_secret: Secret::new(get("GITHUB_CLIENT_SECRET")),
        redirect_uri: get("GITHUB_REDIRECT_URI"),
        oauth_base_url,
        api_base_url,
        timeout,
    })
}

const APPLE_KEY: &str = "APPLE_PRIVATE_KEY_PATH or APPLE_PRIVATE_KEY_B64";

/// The `.p8` key, when one is set; a key that is set but unreadable is a
/// startup error (never quoting the key).
fn apple_key(r: &mut Reader) -> Option<Secret> {
    if let Some(path) = r.get("APPLE_PRIVATE_KEY_PATH") {
        return match std::fs::read_to_string(&path) {
            Ok(pem) => Some(Secret::new(pem)),
            Err(e) => {
                r.errors
                    .push(format!("APPLE_PRIVATE_KEY_PATH: cannot read {path}: {e}"));
                None
            }
        };
    }
    let b64 = r.get("APPLE_PRIVATE_KEY_B64")?;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    if pem.is_none() {
        r.errors
            .push("APPLE_PRIVATE_KEY_B64: must be the base64 of the .p8 PEM".into());
    }
    pem.map(Secret::new)
}

fn apple(r: &mut Reader, timeout: Duration) -> Result<AppleSettings, Vec<String>> {
    let base_url = r.url("APPLE_BASE_URL", "https://appleid.apple.com");
    let key = apple_key(r);
    let mut absent = missing(
        r,
        &[
            "APPLE_CLIENT_ID",
            "APPLE_TEAM_ID",
            "APPLE_KEY_ID",
            "APPLE_REDIRECT_URI",
        ],
    );
    let key_set =
        r.get("APPLE_PRIVATE_KEY_PATH").is_some() || r.get("APPLE_PRIVATE_KEY_B64").is_some();
    if !key_set {
        absent.push(APPLE_KEY.into());
    }
    let (Some(private_key_pem), true) = (key, absent.is_empty()) else {
        return Err(absent);
    };
    let get = |name| r.get(name).unwrap_or_default();
    Ok(AppleSettings {
        client_id: get("APPLE_CLIENT_ID"),
        team_id: get("APPLE_TEAM_ID"),
        key_id: get("APPLE_KEY_ID"),
        redirect_uri: get("APPLE_REDIRECT_URI"),
        private_key_pem,
        base_url,
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (AccountsConfig, Vec<String>) {
        let owned: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mut r = Reader::new(&lookup);
        let config = accounts(&mut r, Duration::from_secs(1));
        (config, r.errors)
    }

    #[test]
    fn defaults_follow_the_contract() {
        let (c, errors) = read(&[]);
        assert!(errors.is_empty());
        assert_eq!(
            (c.session_idle_seconds, c.session_absolute_seconds),
            (28_800, 604_800)
        );
        assert!(c.cookie_secure);
        assert_eq!(c.login_attempts_per_ip_per_minute, 10);
        assert_eq!(c.login_failures_per_account, 5);
        assert_eq!(c.oauth_success_url, "/");
        assert_eq!(
            c.github.unwrap_err(),
            [
                "GITHUB_CLIENT_ID",
                "GITHUB_CLIENT_SECRET",
                "GITHUB_REDIRECT_URI"
            ]
        );
        assert_eq!(
            c.apple.unwrap_err(),
            [
                "APPLE_CLIENT_ID",
                "APPLE_TEAM_ID",
                "APPLE_KEY_ID",
                "APPLE_REDIRECT_URI",
                APPLE_KEY
            ]
        );
    }

    #[test]
    fn bad_values_stop_startup_naming_the_variable() {
        let (_, errors) = read(&[
            ("SESSION_IDLE_SECONDS", "100"),
            ("SESSION_ABSOLUTE_SECONDS", "50"),
            ("CORS_ALLOWED_ORIGINS", "*"),
            ("TRUSTED_PROXIES", "10.0.0.0/40"),
            ("APPLE_PRIVATE_KEY_PATH", "/nonexistent/key.p8"),
        ]);
        let joined = errors.join("\n");
        for name in [
            "SESSION_ABSOLUTE_SECONDS",
            "CORS_ALLOWED_ORIGINS",
            "TRUSTED_PROXIES",
            "APPLE_PRIVATE_KEY_PATH",
        ] {
            assert!(joined.contains(name), "{name} in {joined}");
        }
    }

    #[test]
    fn a_provider_with_every_variable_is_configured() {
        let (c, errors) = read(&[
            ("GITHUB_CLIENT_ID", "id"),
            ("GITHUB_CLIENT_SECRET", "secret"),
            ("GITHUB_REDIRECT_URI", "https://x/cb"),
            ("APPLE_CLIENT_ID", "a"),
            ("APPLE_TEAM_ID", "t"),
            ("APPLE_KEY_ID", "k"),
            ("APPLE_REDIRECT_URI", "https://x/acb"),
            ("APPLE_PRIVATE_KEY_B64", "LS0tLS1CRUdJTg=="),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.github.unwrap().oauth_base_url, "https://github.com");
        let apple = c.apple.unwrap();
        assert_eq!(apple.private_key_pem.expose(), "-----BEGIN");
        assert_eq!(apple.base_url, "https://appleid.apple.com");
    }
}
