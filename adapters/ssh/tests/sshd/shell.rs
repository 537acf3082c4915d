//! `shell_exec`'s command line end to end: bash or the sh fallback, exit
//! status, stderr, stdin closed, output limits.

use std::time::Duration;

use sybil_domain::devbox::shell_command;
use sybil_ports::outbound::RemoteShell;
use sybil_ssh::{MAX_CAPTURE, Ssh2Shell};

use crate::support::{Options, settings, sshd, sshd_with};

const T: Duration = Duration::from_secs(20);

#[tokio::test]
async fn runs_with_bash_in_the_workdir_and_reports_status_stdout_stderr() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let wd = sshd.path("w s");
    let command = "printf '%s|' \"$0\" \"$PWD\"; echo 'to stderr' >&2; \
                   if read -r x; then echo stdin-open; else echo stdin-eof; fi; exit 3";
    let out = shell
        .run(&shell_command(wd.to_str().unwrap(), command), T)
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(3), "{out:?}");
    assert!(!out.timed_out);
    assert_eq!(out.stdout, format!("bash|{}|stdin-eof\n", wd.display()));
    assert_eq!(out.stderr, "to stderr\n");
}

#[tokio::test]
async fn arguments_reach_the_command_byte_for_byte() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let value = "-e 'q' \"d\" $(id) `id` ; && | \n ✓ \\ * ~";
    let command = format!("printf '%s' {}", sybil_domain::devbox::shell_quote(value));
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), &command),
            T,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(0), "{out:?}");
    assert_eq!(out.stdout, value);
}

#[tokio::test]
async fn falls_back_to_sh_without_bash() {
    // A remote PATH with only what the command line needs, and no bash.
    let dir = tempfile::tempdir().unwrap();
    for tool in ["sh", "mkdir"] {
        let target = ["/bin", "/usr/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap();
        std::os::unix::fs::symlink(target, dir.path().join(tool)).unwrap();
    }
    let Some(sshd) = sshd_with(Options {
        path: Some(dir.path().display().to_string()),
    }) else {
        return;
    };
    let shell = Ssh2Shell::new(settings(&sshd));
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), "printf %s \"$0\""),
            T,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(0), "{out:?}\n{}", sshd.log());
    assert_eq!(out.stdout, "sh");
}

#[tokio::test]
async fn a_command_killed_by_a_signal_fails_with_128_plus_signal() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), "echo hi; kill -TERM $$"),
            T,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(143), "{out:?}");
    assert_eq!(out.stdout, "hi\n");
}

#[tokio::test]
async fn huge_output_is_capped_without_blocking_the_command() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    // 3 MiB on stdout and 2 MiB on stderr, interleaved by the remote side.
    let command = "head -c 2097152 /dev/zero | tr '\\0' e >&2 & head -c 3145728 /dev/zero | tr '\\0' o; wait; echo done >&2";
    let out = shell
        .run(&shell_command(sshd.path("w").to_str().unwrap(), command), T)
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(0), "{}", out.stderr.len());
    assert!(out.stdout.starts_with(&"o".repeat(MAX_CAPTURE)));
    assert!(
        out.stdout
            .ends_with("[sybil: 2097152 more bytes of output were not kept]")
    );
    assert!(
        out.stderr
            .ends_with("[sybil: 1048581 more bytes of output were not kept]"),
        "{}",
        &out.stderr[out.stderr.len() - 80..]
    );
}

#[tokio::test]
async fn invalid_utf8_output_is_decoded_lossily() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));
    let out = shell
        .run(
            &shell_command(sshd.path("w").to_str().unwrap(), "printf 'a\\377b'"),
            T,
        )
        .await
        .unwrap();
    assert_eq!(out.stdout, "a\u{fffd}b");
}

#[tokio::test]
async fn a_nul_in_the_command_is_refused_before_connecting() {
    // No server needed: the check comes first.
    let settings = sybil_ssh::SshSettings {
        host: "127.0.0.1".into(),
        port: 9,
        user: "nobody".into(),
        private_key: sybil_domain::Secret::new("k"),
        known_hosts_path: None,
    };
    let err = Ssh2Shell::new(settings)
        .run("echo a\0b", T)
        .await
        .unwrap_err();
    assert!(err.message.contains("NUL"), "{err}");
}
