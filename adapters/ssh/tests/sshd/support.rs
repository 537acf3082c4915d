//! The shared test sshd (testkit) and this adapter's settings for it.

use sybil_domain::Secret;
use sybil_ssh::SshSettings;
pub use sybil_testkit::sshd::*;

/// Settings for a test server with its default client key and host key check.
pub fn settings(sshd: &Sshd) -> SshSettings {
    SshSettings {
        host: "127.0.0.1".into(),
        port: sshd.port,
        user: sshd.user.clone(),
        private_key: Secret::new(sshd.client_key.clone()),
        known_hosts_path: Some(sshd.known_hosts.clone()),
    }
}
