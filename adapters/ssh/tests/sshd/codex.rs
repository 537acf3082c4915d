//! `codex_exec`'s command line end to end: argv byte for byte, the workdir
//! created and used, stdin closed.

use std::time::Duration;

use sybil_domain::devbox::{codex_command, wrap_codex_prompt};
use sybil_ports::outbound::RemoteShell;
use sybil_ssh::Ssh2Shell;

use crate::support::{settings, sshd};

const NASTY_PROMPT: &str = "-n --version 'single' \"double\" $(touch /tmp/sybil-pwned) \
`id` ; echo injected && false || true | cat > /tmp/sybil-pwned\nsecond line\n\ttab \\ back\\slash * ? ~ # ! \
{a,b} %s 日本語 ✓ 🚀 '\\'' end";

/// Splits the fake codex's NUL-separated report.
fn report(stdout: &str) -> Vec<&str> {
    let mut items: Vec<&str> = stdout.split('\0').collect();
    assert_eq!(items.pop(), Some(""), "report ends with NUL: {stdout:?}");
    items
}

#[tokio::test]
async fn codex_gets_the_wrapped_prompt_as_one_argument_in_the_created_workdir() {
    let Some(sshd) = sshd() else { return };
    let shell = Ssh2Shell::new(settings(&sshd));

    let workdir = sshd.path("work/nested dir/-x 'q'");
    assert!(!workdir.exists());
    let wd = workdir.to_str().unwrap();
    let _ = std::fs::remove_file("/tmp/sybil-pwned");

    let out = shell
        .run(&codex_command(wd, NASTY_PROMPT), Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(0), "{out:?}\n{}", sshd.log());
    assert!(!out.timed_out);
    assert_eq!(out.stderr, "");
    let wrapped = wrap_codex_prompt(NASTY_PROMPT);
    assert_eq!(
        report(&out.stdout),
        vec![
            format!("cwd={wd}").as_str(),
            "stdin=eof",
            "argc=4",
            "arg=exec",
            "arg=--dangerously-bypass-approvals-and-sandbox",
            "arg=--skip-git-repo-check",
            format!("arg={wrapped}").as_str(),
        ]
    );
    assert!(workdir.is_dir());
    assert!(!std::path::Path::new("/tmp/sybil-pwned").exists());
}

#[tokio::test]
async fn an_existing_workdir_is_reused() {
    let Some(sshd) = sshd() else { return };
    let workdir = sshd.path("existing");
    std::fs::create_dir(&workdir).unwrap();
    std::fs::write(workdir.join("keep.txt"), "kept").unwrap();
    let shell = Ssh2Shell::new(settings(&sshd));
    let out = shell
        .run(
            &codex_command(workdir.to_str().unwrap(), "p"),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(workdir.join("keep.txt")).unwrap(),
        "kept"
    );
}
