//! The devbox tools' settings: which tools are on, their timeouts and
//! working folder, and the SSH adapter's connection settings, built from
//! `CHAT_CODEX_*` variables with one error line per bad or missing
//! variable, naming it.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use sybil_domain::Secret;
use sybil_ssh::SshSettings;

use super::reader::Reader;

const VAR_CODEX_ENABLED: &str = "CHAT_CODEX_TOOL_ENABLED";
const VAR_SHELL_ENABLED: &str = "CHAT_SHELL_TOOL_ENABLED";
const VAR_HOST: &str = "CHAT_CODEX_REMOTE_HOST";
const VAR_USER: &str = "CHAT_CODEX_REMOTE_USER";
const VAR_PORT: &str = "CHAT_CODEX_REMOTE_PORT";
const VAR_KEY_PATH: &str = "CHAT_CODEX_SSH_KEY_PATH";
const VAR_KEY_B64: &str = "CHAT_CODEX_SSH_PRIVATE_KEY_B64";
const VAR_KNOWN_HOSTS: &str = "CHAT_CODEX_KNOWN_HOSTS_PATH";

/// The devbox tools over SSH.
#[derive(Debug, Clone)]
pub struct DevboxConfig {
    pub ssh: SshSettings,
    pub workdir: String,
    /// `Some(timeout)` when `CHAT_CODEX_TOOL_ENABLED`.
    pub codex: Option<Duration>,
    /// `Some(timeout)` when `CHAT_SHELL_TOOL_ENABLED`.
    pub shell: Option<Duration>,
}

/// The devbox tools: enabled flags, timeouts, working folder and the SSH
/// settings (an enabled tool without a host or key is an error per variable).
pub(super) fn devbox(
    r: &mut Reader,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<DevboxConfig> {
    let codex_on = r.flag(VAR_CODEX_ENABLED, false);
    let shell_on = r.flag(VAR_SHELL_ENABLED, false);
    let codex_timeout = Duration::from_millis(r.positive("CHAT_CODEX_EXEC_TIMEOUT_MS", 600_000));
    let shell_timeout = Duration::from_millis(r.positive("CHAT_SHELL_EXEC_TIMEOUT_MS", 120_000));
    let workdir = r
        .get("CHAT_CODEX_REMOTE_WORKDIR")
        .unwrap_or_else(|| "/workspace/sybil-codex".into());
    let mut enabled = Vec::new();
    if codex_on {
        enabled.push(VAR_CODEX_ENABLED);
    }
    if shell_on {
        enabled.push(VAR_SHELL_ENABLED);
    }
    match settings_from_env(lookup, &enabled) {
        Ok(Some(ssh)) => Some(DevboxConfig {
            ssh,
            workdir,
            codex: codex_on.then_some(codex_timeout),
            shell: shell_on.then_some(shell_timeout),
        }),
        Ok(None) => None,
        Err(errors) => {
            r.errors.extend(errors);
            None
        }
    }
}

/// Builds [`SshSettings`] from the environment seen through `lookup`.
///
/// `enabled_tools` lists the enabling variables that are true
/// (`CHAT_CODEX_TOOL_ENABLED`, `CHAT_SHELL_TOOL_ENABLED`); when it is empty
/// nothing is read and the answer is `Ok(None)`. Empty values count as unset.
/// The user is `CHAT_CODEX_REMOTE_USER`, else the `user@` part of
/// `CHAT_CODEX_REMOTE_HOST`, else the local `USER`/`LOGNAME` (as `ssh` does).
/// `CHAT_CODEX_SSH_KEY_PATH` wins over `CHAT_CODEX_SSH_PRIVATE_KEY_B64` when
/// both are set. The key file and the known_hosts file are read here so a
/// bad path stops startup rather than the first tool call.
///
/// # Errors
/// Every problem found, one line each, naming its variable; never the key.
fn settings_from_env(
    lookup: impl Fn(&str) -> Option<String>,
    enabled_tools: &[&str],
) -> Result<Option<SshSettings>, Vec<String>> {
    if enabled_tools.is_empty() {
        return Ok(None);
    }
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let because = enabled_tools
        .iter()
        .map(|v| format!("{v}=true"))
        .collect::<Vec<_>>()
        .join(" or ");
    let mut errors = Vec::new();

    let (host, host_user) = match get(VAR_HOST) {
        None => {
            errors.push(format!("{VAR_HOST} is required when {because}"));
            (None, None)
        }
        Some(raw) => match split_user_host(&raw) {
            Ok((user, host)) => (Some(host), user),
            Err(e) => {
                errors.push(e);
                (None, None)
            }
        },
    };

    let user = get(VAR_USER)
        .map(|u| u.trim().to_string())
        .or(host_user)
        .or_else(|| get("USER"))
        .or_else(|| get("LOGNAME"));
    if user.is_none() && host.is_some() {
        errors.push(format!(
            "{VAR_USER} is required when {because} (or give {VAR_HOST} as user@host)"
        ));
    }

    let port = match get(VAR_PORT) {
        None => Some(22),
        Some(raw) => match raw.trim().parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => {
                errors.push(format!(
                    "{VAR_PORT} must be a port number between 1 and 65535, got {raw:?}"
                ));
                None
            }
        },
    };

    let key = match (get(VAR_KEY_PATH), get(VAR_KEY_B64)) {
        (Some(path), _) => key_from_file(path.trim()).map_err(|e| errors.push(e)).ok(),
        (None, Some(b64)) => key_from_base64(&b64).map_err(|e| errors.push(e)).ok(),
        (None, None) => {
            errors.push(format!(
                "{VAR_KEY_PATH} or {VAR_KEY_B64} is required when {because}"
            ));
            None
        }
    };

    let known_hosts_path = get(VAR_KNOWN_HOSTS).map(|p| PathBuf::from(p.trim()));
    if let Some(path) = &known_hosts_path
        && let Err(e) = std::fs::read(path)
    {
        errors.push(format!(
            "{VAR_KNOWN_HOSTS}: cannot read {}: {e}",
            path.display()
        ));
    }

    match (host, user, port, key) {
        (Some(host), Some(user), Some(port), Some(private_key)) if errors.is_empty() => {
            Ok(Some(SshSettings {
                host,
                port,
                user,
                private_key,
                known_hosts_path,
            }))
        }
        _ => Err(errors),
    }
}

/// `user@host` → (`Some(user)`, `host`); `host` → (`None`, `host`). The last
/// `@` splits, as in `ssh`. `[::1]` loses its brackets.
fn split_user_host(raw: &str) -> Result<(Option<String>, String), String> {
    let raw = raw.trim();
    let (user, host) = match raw.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_string()), host),
        None => (None, raw),
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(format!(
            "{VAR_HOST} must be a host name or address, optionally user@host"
        ));
    }
    if user.as_deref() == Some("") {
        return Err(format!("{VAR_HOST} has an empty user before '@'"));
    }
    Ok((user, host.to_string()))
}

fn key_from_file(path: &str) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{VAR_KEY_PATH}: cannot read {path}: {e}"))?;
    check_key_text(text)
        .ok_or_else(|| format!("{VAR_KEY_PATH}: {path} does not hold a PEM or OpenSSH private key"))
}

fn key_from_base64(b64: &str) -> Result<Secret, String> {
    // Tolerate line breaks and missing padding: values get wrapped and
    // trimmed on their way into environment files.
    let compact: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let trimmed = compact.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .map_err(|_| format!("{VAR_KEY_B64} is not valid base64"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{VAR_KEY_B64} does not decode to a PEM or OpenSSH private key"))?;
    check_key_text(text)
        .ok_or_else(|| format!("{VAR_KEY_B64} does not decode to a PEM or OpenSSH private key"))
}

/// The key as a [`Secret`] when it looks like a private key (a PEM armour
/// line naming a private key); the text itself is never echoed.
fn check_key_text(text: String) -> Option<Secret> {
    let looks_like_key = text
        .lines()
        .any(|l| l.trim_start().starts_with("-----BEGIN") && l.contains("PRIVATE KEY"));
    looks_like_key.then(|| Secret::new(text))
}

#[cfg(test)]
mod tests;
