//! sybil-ssh: the `RemoteShell` port over SSH (ssh2/libssh2 on blocking
//! threads), used by the `codex_exec` and `shell_exec` tools.

mod exec;
mod known_hosts;
mod output;
mod redact;
mod remote_pid;
mod session;
mod settings;
mod shell;

pub use output::MAX_CAPTURE;
pub use settings::SshSettings;
pub use shell::Ssh2Shell;
