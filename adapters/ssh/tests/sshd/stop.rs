//! Stopping: at the timeout and when the future is dropped, the remote
//! command itself is killed (its process group), not only the connection.
//! Each command holds a [`Beacon`]: the test learns that every process of
//! the command is gone from the beacon's end, not by polling `pgrep`.

use std::time::{Duration, Instant};

use sybil_domain::devbox::{codex_command, shell_command};
use sybil_ports::outbound::RemoteShell;
use sybil_ssh::Ssh2Shell;

use crate::support::{Beacon, settings, sshd, write_executable};

/// How long a killed command may take to be gone.
const GONE_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_timeout_kills_the_remote_command_and_keeps_the_output_so_far() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let mut beacon = Beacon::new(&sshd.path("beacon"));
    let marker = sshd.path("marker");
    let command = format!(
        "{}echo before; echo err >&2; sleep 30; touch '{}'",
        beacon.open(),
        marker.display()
    );
    let started = Instant::now();
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), &command),
            Duration::from_millis(1500),
        )
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(out.timed_out, "{out:?}");
    assert_eq!(out.exit_status, None);
    assert_eq!(out.stdout, "before\n");
    assert_eq!(out.stderr, "err\n");
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
    assert!(beacon.started(Duration::ZERO).await);
    // Nothing of the command is left to touch the marker later.
    assert!(beacon.ended(GONE_WITHIN).await, "the command still runs");
    assert!(!marker.exists(), "the command went on after the timeout");
}

#[tokio::test]
async fn the_timeout_also_kills_a_process_that_ignores_term() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let mut beacon = Beacon::new(&sshd.path("beacon"));
    let command = format!("{}trap '' TERM; sleep 30 & wait; wait", beacon.open());
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), &command),
            Duration::from_millis(800),
        )
        .await
        .unwrap();
    assert!(out.timed_out);
    assert!(beacon.ended(GONE_WITHIN).await, "the command survived KILL");
}

#[tokio::test]
async fn dropping_the_future_kills_the_remote_command() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let mut beacon = Beacon::new(&sshd.path("beacon"));
    let marker = sshd.path("marker");
    let command = format!("{}sleep 30; touch '{}'", beacon.open(), marker.display());
    let line = shell_command(sshd.path("w").to_str().unwrap(), &command);
    let run = shell.run(&line, Duration::from_secs(60));
    // The future is dropped as soon as the command runs, as an aborted
    // request would drop it.
    tokio::select! {
        _ = run => panic!("the command should still have been running"),
        started = beacon.started(Duration::from_secs(10)) => {
            assert!(started, "the command never started:\n{}", sshd.log());
        }
    }
    assert!(
        beacon.ended(GONE_WITHIN).await,
        "the command still runs after the future was dropped"
    );
    assert!(!marker.exists(), "the command went on after the drop");
}

#[tokio::test]
async fn dropping_a_codex_run_kills_codex_and_its_children() {
    let Some(sshd) = sshd() else { return };
    // A slow codex that starts a child of its own.
    let mut beacon = Beacon::new(&sshd.path("beacon"));
    write_executable(
        &sshd.path("bin/codex"),
        &format!("#!/bin/sh\n{}sleep 30 &\nwait\n", beacon.open()),
    );
    let shell = Ssh2Shell::new(settings(&sshd));
    let line = codex_command(sshd.path("w").to_str().unwrap(), "long task");
    let run = shell.run(&line, Duration::from_secs(60));
    tokio::select! {
        _ = run => panic!("codex should still have been running"),
        started = beacon.started(Duration::from_secs(10)) => assert!(started),
    }
    assert!(
        beacon.ended(GONE_WITHIN).await,
        "codex or its child still runs after the drop"
    );
}
