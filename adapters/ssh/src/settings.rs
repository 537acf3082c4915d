//! What the adapter needs to connect; the root's configuration builds it
//! from `CHAT_CODEX_*` variables.

use std::path::PathBuf;

use sybil_domain::Secret;

/// Where and as whom to connect. `Debug` never shows the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The private key's text, in OpenSSH format or PEM (RSA and the like),
    /// without a passphrase.
    pub private_key: Secret,
    /// When set, the host key must match an entry of this OpenSSH
    /// known_hosts file; it is re-read on every connection.
    pub known_hosts_path: Option<PathBuf>,
}
