//! Stopping: at the timeout and when the future is dropped, the remote
//! command itself is killed (its process group), not only the connection.

use std::time::{Duration, Instant};

use sybil_domain::devbox::{codex_command, shell_command};
use sybil_ports::outbound::RemoteShell;
use sybil_ssh::Ssh2Shell;

use crate::support::{process_running, settings, sshd, unique, wait_gone, write_executable};

#[tokio::test]
async fn the_timeout_kills_the_remote_command_and_keeps_the_output_so_far() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let sleep = format!("sleep 3.{}", unique());
    let marker = sshd.path("marker");
    let command = format!(
        "echo before; echo err >&2; {sleep}; touch '{}'",
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
    // Killed by the time run returned: no sleep, no shell around it.
    assert!(!process_running(&sleep), "{sleep} still runs");
    std::thread::sleep(Duration::from_secs(4));
    assert!(!marker.exists(), "the command went on after the timeout");
}

#[tokio::test]
async fn the_timeout_also_kills_a_process_that_ignores_term() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let sleep = format!("sleep 30.{}", unique());
    let command = format!("trap '' TERM; {sleep} & wait; wait");
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), &command),
            Duration::from_millis(800),
        )
        .await
        .unwrap();
    assert!(out.timed_out);
    assert!(
        wait_gone(&sleep, Duration::from_secs(3)),
        "{sleep} survived KILL"
    );
}

#[tokio::test]
async fn dropping_the_future_kills_the_remote_command() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let sleep = format!("sleep 30.{}", unique());
    let started = sshd.path("started");
    let marker = sshd.path("marker");
    let command = format!(
        "touch '{}'; {sleep}; touch '{}'",
        started.display(),
        marker.display()
    );
    let line = shell_command(sshd.path("w").to_str().unwrap(), &command);
    let run = shell.run(&line, Duration::from_secs(60));
    // The timeout drops the `run` future, as an aborted request would.
    let dropped = tokio::time::timeout(Duration::from_millis(1500), run).await;
    assert!(
        dropped.is_err(),
        "the command should still have been running"
    );
    assert!(
        started.exists(),
        "the command never started:\n{}",
        sshd.log()
    );
    // The pattern also matches the `bash -lc` around the sleep, so both are gone.
    assert!(
        wait_gone(&sleep, Duration::from_secs(5)),
        "{sleep} still runs after the future was dropped"
    );
    assert!(!marker.exists(), "the command went on after the drop");
}

#[tokio::test]
async fn dropping_a_codex_run_kills_codex_and_its_children() {
    let Some(sshd) = sshd() else { return };
    // A slow codex that starts a child of its own.
    let sleep = format!("sleep 30.{}", unique());
    write_executable(
        &sshd.path("bin/codex"),
        &format!("#!/bin/sh\n{sleep} &\nwait\n"),
    );
    let shell = Ssh2Shell::new(settings(&sshd));
    let line = codex_command(sshd.path("w").to_str().unwrap(), "long task");
    let run = shell.run(&line, Duration::from_secs(60));
    let dropped = tokio::time::timeout(Duration::from_millis(1500), run).await;
    assert!(dropped.is_err());
    assert!(
        wait_gone(&sleep, Duration::from_secs(5)),
        "codex's child still runs after the drop"
    );
}
