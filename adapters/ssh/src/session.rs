//! Opening an authenticated SSH session (blocking; runs on a blocking thread).

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use ssh2::Session;

use crate::known_hosts::{pin_host_key_methods, verify_host_key};
use crate::redact::scrub;
use crate::settings::SshSettings;

/// The longest any one connection step (TCP connect, one libssh2 call) may
/// take, whatever the command's own timeout: a dead devbox should fail the
/// tool call in seconds, not after the ten minutes a codex run may have.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects, checks the host key when a known_hosts file is configured, and
/// authenticates with the private key. The session is left in blocking mode.
///
/// # Errors
/// A message for the model (never containing the key); nothing ran then.
pub fn connect(settings: &SshSettings, deadline: Instant) -> Result<Session, String> {
    let target = format!("{}:{}", settings.host, settings.port);
    let step = || {
        deadline
            .saturating_duration_since(Instant::now())
            .min(STEP_TIMEOUT)
    };

    let addrs: Vec<_> = (settings.host.as_str(), settings.port)
        .to_socket_addrs()
        .map_err(|e| format!("ssh: cannot resolve {}: {e}", settings.host))?
        .collect();
    let mut last_error = format!("ssh: {} resolves to no address", settings.host);
    let mut tcp = None;
    for addr in addrs {
        let timeout = step();
        if timeout.is_zero() {
            return Err(format!("ssh: timed out connecting to {target}"));
        }
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last_error = format!("ssh: cannot connect to {target}: {e}"),
        }
    }
    let tcp = tcp.ok_or(last_error)?;
    // Latency matters more than throughput for small interactive packets.
    let _ = tcp.set_nodelay(true);

    let mut session = Session::new().map_err(|e| format!("ssh: cannot start a session: {e}"))?;
    session.set_tcp_stream(tcp);
    session.set_blocking(true);
    let timeout_ms = u32::try_from(step().as_millis()).unwrap_or(u32::MAX).max(1);
    session.set_timeout(timeout_ms);

    if let Some(path) = &settings.known_hosts_path {
        pin_host_key_methods(&session, path, &settings.host, settings.port)?;
    }
    session
        .handshake()
        .map_err(|e| format!("ssh: handshake with {target} failed: {e}"))?;
    if let Some(path) = &settings.known_hosts_path {
        verify_host_key(&session, path, &settings.host, settings.port)
            .map_err(|e| format!("ssh: {e}"))?;
    }
    tracing::debug!(
        host_key_checked = settings.known_hosts_path.is_some(),
        "ssh handshake done"
    );

    session
        .userauth_pubkey_memory(&settings.user, None, settings.private_key.expose(), None)
        .map_err(|e| {
            scrub(
                &format!(
                    "ssh: authentication as {} to {target} failed: {e}",
                    settings.user
                ),
                &settings.private_key,
            )
        })?;
    if !session.authenticated() {
        return Err(format!(
            "ssh: authentication as {} to {target} failed",
            settings.user
        ));
    }
    tracing::debug!("ssh authenticated");
    Ok(session)
}
