//! sybil-ssh: the `RemoteShell` port over SSH (ssh2/libssh2 on blocking
//! threads), used by the `codex_exec` and `shell_exec` tools, plus the
//! settings those tools need from `CHAT_CODEX_*` variables.

mod exec;
mod known_hosts;
mod output;
mod redact;
mod remote_pid;
mod session;
mod settings;
mod shell;

pub use output::MAX_CAPTURE;
pub use settings::{
    SshSettings, VAR_CODEX_ENABLED, VAR_HOST, VAR_KEY_B64, VAR_KEY_PATH, VAR_KNOWN_HOSTS, VAR_PORT,
    VAR_SHELL_ENABLED, VAR_USER, settings_from_env,
};
pub use shell::Ssh2Shell;
