//! Host key checking against an OpenSSH known_hosts file.
//!
//! libssh2 does the matching (`check_port`, hashed entries included). What
//! it does not do is choose which host key the server should present: left
//! alone it may negotiate a key type the file does not list and report a
//! mismatch for a perfectly known host. So before the handshake the host-key
//! algorithms are pinned to the types recorded for this host (docs/decisions.md,
//! "ssh2 and libssh2").

use std::path::Path;

use ssh2::{CheckResult, KnownHostFileKind, MethodType, Session};

/// Host-key algorithms in the order we prefer them, each with the key type
/// that known_hosts records for it (RSA keys sign with rsa-sha2-*, but the
/// file says `ssh-rsa`).
const ALGORITHMS: &[(&str, &str)] = &[
    ("ssh-ed25519", "ssh-ed25519"),
    ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
    ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"),
    ("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"),
    ("rsa-sha2-512", "ssh-rsa"),
    ("rsa-sha2-256", "ssh-rsa"),
    ("ssh-rsa", "ssh-rsa"),
];

/// The key types the file records for `host:port`: entries naming
/// `[host]:port` (or plain `host`, which libssh2 also accepts), plus every
/// hashed entry, since a hashed name cannot be matched without the check
/// itself. `@revoked` and `@cert-authority` lines are skipped.
pub fn recorded_key_types(file: &str, host: &str, port: u16) -> Vec<String> {
    let bracketed = format!("[{host}]:{port}");
    let mut types = Vec::new();
    for line in file.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(names), Some(key_type)) = (fields.next(), fields.next()) else {
            continue;
        };
        let matches =
            names.starts_with("|1|") || names.split(',').any(|n| n == bracketed || n == host);
        if matches && !types.iter().any(|t| t == key_type) {
            types.push(key_type.to_string());
        }
    }
    types
}

/// The `method_pref` string for these recorded types, limited to what this
/// libssh2 build supports; `None` when nothing usable is left.
pub fn host_key_preference(recorded: &[String], supported: &[&str]) -> Option<String> {
    let picked: Vec<&str> = ALGORITHMS
        .iter()
        .filter(|(alg, key_type)| recorded.iter().any(|t| t == key_type) && supported.contains(alg))
        .map(|(alg, _)| *alg)
        .collect();
    (!picked.is_empty()).then(|| picked.join(","))
}

/// Before the handshake: read the file and pin the host-key algorithms.
///
/// # Errors
/// A message for the model when the file cannot be read or lists no usable
/// key for the host.
pub fn pin_host_key_methods(
    session: &Session,
    path: &Path,
    host: &str,
    port: u16,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read known_hosts file {}: {e}", path.display()))?;
    let recorded = recorded_key_types(&text, host, port);
    if recorded.is_empty() {
        return Err(format!(
            "no host key for [{host}]:{port} in known_hosts file {}",
            path.display()
        ));
    }
    let supported = session
        .supported_algs(MethodType::HostKey)
        .map_err(|e| format!("ssh: cannot list host key algorithms: {e}"))?;
    let pref = host_key_preference(&recorded, &supported).ok_or_else(|| {
        format!(
            "known_hosts file {} lists only key types this client cannot check for [{host}]:{port}: {}",
            path.display(),
            recorded.join(", ")
        )
    })?;
    session
        .method_pref(MethodType::HostKey, &pref)
        .map_err(|e| format!("ssh: cannot set host key algorithms {pref}: {e}"))
}

/// After the handshake: the server's key must match the file.
///
/// # Errors
/// A message for the model on a mismatch, a missing entry or a failed check.
pub fn verify_host_key(
    session: &Session,
    path: &Path,
    host: &str,
    port: u16,
) -> Result<(), String> {
    let (key, _) = session
        .host_key()
        .ok_or_else(|| "ssh: the server sent no host key".to_string())?;
    let mut known = session
        .known_hosts()
        .map_err(|e| format!("ssh: cannot load known hosts: {e}"))?;
    known
        .read_file(path, KnownHostFileKind::OpenSSH)
        .map_err(|e| format!("cannot parse known_hosts file {}: {e}", path.display()))?;
    match known.check_port(host, port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => Err(format!(
            "host key verification failed: the key of [{host}]:{port} does not match known_hosts file {}; nothing was run",
            path.display()
        )),
        CheckResult::NotFound => Err(format!(
            "host key verification failed: no host key for [{host}]:{port} in known_hosts file {}; nothing was run",
            path.display()
        )),
        CheckResult::Failure => Err(format!(
            "host key verification failed for [{host}]:{port}: the check itself failed; nothing was run"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA
other.host ssh-rsa AAAAB3NzaC1yc2E
127.0.0.1,localhost ecdsa-sha2-nistp256 AAAAE2VjZHNh
@revoked [127.0.0.1]:2222 ssh-rsa AAAAB3Nza
|1|c2FsdA==|aGFzaA== ssh-rsa AAAAB3NzaC1yc2E

";

    #[test]
    fn collects_types_for_the_host_port_plain_host_and_hashed_entries() {
        assert_eq!(
            recorded_key_types(FILE, "127.0.0.1", 2222),
            vec!["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"]
        );
        assert_eq!(
            recorded_key_types("other.host ssh-rsa AAAA", "h", 22),
            Vec::<String>::new()
        );
        assert_eq!(
            recorded_key_types("[h]:22 ssh-ed25519 AAAA", "h", 22),
            vec!["ssh-ed25519"]
        );
    }

    #[test]
    fn preference_follows_our_order_and_what_is_supported() {
        let supported = [
            "ssh-ed25519",
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ssh-rsa",
            "ecdsa-sha2-nistp256",
        ];
        let types = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            host_key_preference(&types(&["ssh-rsa", "ssh-ed25519"]), &supported).as_deref(),
            Some("ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa")
        );
        assert_eq!(
            host_key_preference(&types(&["ecdsa-sha2-nistp384"]), &supported),
            None
        );
        assert_eq!(host_key_preference(&types(&["ssh-dss"]), &supported), None);
    }
}
