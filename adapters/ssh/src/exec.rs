//! Running one command over SSH with a real deadline (blocking; runs on a
//! blocking thread).
//!
//! libssh2's own timeout bounds each call, not the command (docs/decisions.md,
//! "ssh2 and libssh2"), so the
//! session goes non-blocking once the command has started and this loop
//! reads stdout and stderr itself, checking the deadline and the
//! cancellation flag between reads. When either fires, the remote process
//! group is killed through a second channel (see `remote_pid`).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ssh2::{Channel, Session};
use sybil_ports::outbound::{ExecOutput, ToolError};

use crate::output::{Capture, signal_exit_status};
use crate::redact::scrub;
use crate::remote_pid::{PidScanner, kill_script, wrap};
use crate::session::connect;
use crate::settings::SshSettings;

/// Without readiness polling (no `unsafe` here, and libssh2 keeps the socket
/// non-blocking) an idle loop sleeps; the pause grows while nothing arrives.
const MIN_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(25);
/// How long to wait for the PID line when asked to stop before it came.
const PID_GRACE: Duration = Duration::from_secs(5);
/// How long the kill script may take (it gives TERM two seconds, then KILLs).
const KILL_TIMEOUT: Duration = Duration::from_secs(15);
/// Reading what the command printed before it died.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);

enum Stop {
    Timeout,
    Cancelled,
}

/// What has been read so far.
struct Collected {
    scanner: PidScanner,
    stdout: Capture,
    stderr: Capture,
}

/// Runs `command` on the devbox; see `RemoteShell::run`.
pub fn run_blocking(
    settings: &SshSettings,
    command: &str,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<ExecOutput, ToolError> {
    let started = Instant::now();
    let deadline = started + timeout;
    let fail = |message: String| ToolError::new(scrub(&message, &settings.private_key));

    let session = connect(settings, deadline).map_err(fail)?;
    if cancel.load(Ordering::SeqCst) {
        return Err(fail("ssh: cancelled before the command started".into()));
    }
    let mut channel = session
        .channel_session()
        .and_then(|mut ch| ch.exec(&wrap(command)).map(|()| ch))
        .map_err(|e| fail(format!("ssh: cannot start the command: {e}")))?;
    // Stdin closed: a command that reads it sees end-of-file at once.
    channel
        .send_eof()
        .map_err(|e| fail(format!("ssh: cannot close the command's stdin: {e}")))?;
    session.set_blocking(false);
    tracing::debug!("remote command started");

    let mut got = Collected {
        scanner: PidScanner::default(),
        stdout: Capture::default(),
        stderr: Capture::default(),
    };
    let mut pause = MIN_PAUSE;
    let stop = loop {
        if cancel.load(Ordering::SeqCst) {
            break Stop::Cancelled;
        }
        if Instant::now() >= deadline {
            break Stop::Timeout;
        }
        let progressed = pump(&mut channel, &mut got)
            .map_err(|e| fail(format!("ssh: the session broke while the command ran: {e}")))?;
        if channel.eof() {
            match channel.wait_close() {
                Ok(()) => {
                    let output = finished(&channel, got, started);
                    hang_up(&session);
                    return Ok(output);
                }
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(fail(format!("ssh: the session broke: {e}"))),
            }
        }
        pause = if progressed {
            MIN_PAUSE
        } else {
            std::thread::sleep(pause);
            (pause * 2).min(MAX_PAUSE)
        };
    };

    match stop {
        Stop::Timeout => tracing::warn!(
            timeout_ms = timeout.as_millis() as u64,
            "remote command timed out; killing it"
        ),
        Stop::Cancelled => tracing::info!("run cancelled; killing the remote command"),
    }
    kill(&session, &mut channel, &mut got);
    hang_up(&session);
    match stop {
        Stop::Timeout => {
            let stdout = got.scanner.finish();
            got.stdout.push(&stdout);
            Ok(ExecOutput {
                exit_status: None,
                stdout: got.stdout.into_text(),
                stderr: got.stderr.into_text(),
                timed_out: true,
            })
        }
        Stop::Cancelled => Err(fail("ssh: cancelled; the remote command was killed".into())),
    }
}

/// Reads whatever stdout and stderr hold now; whether anything came.
fn pump(channel: &mut Channel, got: &mut Collected) -> io::Result<bool> {
    let mut buf = [0u8; 32 * 1024];
    let mut progressed = false;
    loop {
        match channel.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                progressed = true;
                let out = got.scanner.feed(&buf[..n]);
                got.stdout.push(&out);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    let mut stderr = channel.stderr();
    loop {
        match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                progressed = true;
                got.stderr.push(&buf[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(progressed)
}

fn would_block(e: &ssh2::Error) -> bool {
    e.code() == ssh2::ErrorCode::Session(LIBSSH2_ERROR_EAGAIN)
}

/// libssh2's "would block" code (`LIBSSH2_ERROR_EAGAIN`).
const LIBSSH2_ERROR_EAGAIN: i32 = -37;

/// Says goodbye so sshd logs a clean disconnect rather than a reset; best
/// effort and brief, the outcome is already known.
fn hang_up(session: &Session) {
    session.set_blocking(true);
    session.set_timeout(2_000);
    let _ = session.disconnect(None, "sybil: done", None);
}

/// The result of a command that ended by itself.
fn finished(channel: &Channel, mut got: Collected, started: Instant) -> ExecOutput {
    let rest = got.scanner.finish();
    got.stdout.push(&rest);
    // A command that died of a signal has no exit status (libssh2 then
    // reports 0); report 128 + signal like a shell does, so it is a failure.
    let signal = channel.exit_signal().ok().and_then(|s| s.exit_signal);
    let status = match &signal {
        Some(name) => signal_exit_status(name),
        None => channel.exit_status().unwrap_or(255),
    };
    tracing::info!(
        exit_status = status,
        signal = signal.as_deref().unwrap_or(""),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "remote command finished"
    );
    ExecOutput {
        exit_status: Some(status),
        stdout: got.stdout.into_text(),
        stderr: got.stderr.into_text(),
        timed_out: false,
    }
}

/// Kills the remote process group, then reads what is left of the output.
/// Best effort: failures are logged, since the caller has already decided
/// the outcome (timeout or cancellation).
fn kill(session: &Session, channel: &mut Channel, got: &mut Collected) {
    // The PID line is the first thing the wrapper prints; if the stop came
    // before it, wait a little for it (or for the command to end by itself).
    let until = Instant::now() + PID_GRACE;
    while !got.scanner.settled() && !channel.eof() && Instant::now() < until {
        match pump(channel, got) {
            Ok(true) => {}
            Ok(false) => std::thread::sleep(MAX_PAUSE),
            Err(_) => break,
        }
    }
    let Some(script) = got.scanner.pid().and_then(kill_script) else {
        if !channel.eof() {
            tracing::warn!("remote PID unknown; the remote command may still be running");
        }
        return;
    };

    session.set_blocking(true);
    session.set_timeout(KILL_TIMEOUT.as_millis() as u32);
    let killed = (|| -> Result<(), ssh2::Error> {
        let mut killer = session.channel_session()?;
        killer.exec(&script)?;
        killer.send_eof()?;
        let mut sink = Vec::new();
        let _ = killer.read_to_end(&mut sink);
        killer.wait_close()
    })();
    match killed {
        Ok(()) => tracing::info!("remote process group killed"),
        Err(e) => tracing::warn!(error = %e, "killing the remote command failed"),
    }

    session.set_blocking(false);
    let until = Instant::now() + DRAIN_AFTER_KILL;
    while !channel.eof() && Instant::now() < until {
        match pump(channel, got) {
            Ok(true) => {}
            Ok(false) => std::thread::sleep(MAX_PAUSE),
            Err(_) => break,
        }
    }
}
