//! `Ssh2Shell`: the `RemoteShell` port over ssh2, one SSH session per call on
//! a blocking thread, cancelled (and the remote command killed) when the
//! caller drops the future.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sybil_domain::devbox::reject_nul;
use sybil_ports::outbound::{ExecOutput, RemoteShell, ToolError};
use tracing::Instrument as _;

use crate::exec::run_blocking;
use crate::settings::SshSettings;

/// Runs devbox commands over SSH. `Debug` never shows the key.
#[derive(Debug, Clone)]
pub struct Ssh2Shell {
    settings: Arc<SshSettings>,
}

impl Ssh2Shell {
    pub fn new(settings: SshSettings) -> Self {
        if settings.known_hosts_path.is_none() {
            tracing::warn!(
                host = %settings.host,
                port = settings.port,
                "CHAT_CODEX_KNOWN_HOSTS_PATH is not set: the devbox host key will not be checked"
            );
        }
        Ssh2Shell {
            settings: Arc::new(settings),
        }
    }
}

/// Sets the flag when dropped: the async caller went away (Stop pressed,
/// request aborted), so the blocking loop must kill the remote command.
/// After a normal finish the flag is set too, but nobody reads it then.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl RemoteShell for Ssh2Shell {
    async fn run(&self, command: &str, timeout: Duration) -> Result<ExecOutput, ToolError> {
        // A NUL would cut the command line short on the remote side.
        reject_nul("the command", command).map_err(|e| ToolError::new(e.to_string()))?;
        let span = tracing::info_span!(
            "ssh_run",
            host = %self.settings.host,
            port = self.settings.port,
            user = %self.settings.user,
            command_len = command.len(),
            timeout_ms = timeout.as_millis() as u64,
        );
        let cancel = Arc::new(AtomicBool::new(false));
        let _guard = CancelOnDrop(cancel.clone());
        let settings = self.settings.clone();
        let command = command.to_owned();
        let worker_span = span.clone();
        // The blocking task is not aborted when this future is dropped: it
        // sees the flag and kills the remote command before it ends.
        let task = tokio::task::spawn_blocking(move || {
            worker_span.in_scope(|| run_blocking(&settings, &command, timeout, &cancel))
        });
        async move {
            task.await
                .map_err(|e| ToolError::new(format!("ssh: the worker thread failed: {e}")))?
        }
        .instrument(span)
        .await
    }
}
