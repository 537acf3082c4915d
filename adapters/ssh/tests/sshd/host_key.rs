//! Host key checking: a wrong or missing entry fails the call and nothing runs.

use std::process::Command;
use std::time::Duration;

use sybil_domain::devbox::shell_command;
use sybil_ports::outbound::RemoteShell;
use sybil_ssh::Ssh2Shell;

use crate::support::{keygen, known_hosts_line, settings, sshd};

const T: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_wrong_host_key_fails_and_nothing_runs() {
    let Some(sshd) = sshd() else { return };
    let other = sshd.path("other_host");
    keygen(&other, &["-t", "ed25519"]);
    let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let wrong = sshd.path("wrong_known_hosts");
    std::fs::write(&wrong, known_hosts_line(sshd.port, &public)).unwrap();

    let mut settings = settings(&sshd);
    settings.known_hosts_path = Some(wrong);
    let marker = sshd.path("ran");
    let err = Ssh2Shell::new(settings)
        .run(
            &shell_command("/tmp", &format!("touch '{}'", marker.display())),
            T,
        )
        .await
        .unwrap_err();
    assert!(err.message.contains("does not match"), "{err}");
    assert!(err.message.contains("nothing was run"), "{err}");
    assert!(!marker.exists());
}

#[tokio::test]
async fn a_host_missing_from_known_hosts_fails_and_nothing_runs() {
    let Some(sshd) = sshd() else { return };
    let empty = sshd.path("empty_known_hosts");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let mut settings = settings(&sshd);
    settings.known_hosts_path = Some(empty);
    let marker = sshd.path("ran");
    let err = Ssh2Shell::new(settings)
        .run(&format!("touch '{}'", marker.display()), T)
        .await
        .unwrap_err();
    assert!(err.message.contains("no host key for [127.0.0.1]"), "{err}");
    assert!(!marker.exists());
}

#[tokio::test]
async fn a_hashed_known_hosts_entry_matches() {
    let Some(sshd) = sshd() else { return };
    let status = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&sshd.known_hosts)
        .output()
        .unwrap();
    assert!(status.status.success());
    assert!(
        std::fs::read_to_string(&sshd.known_hosts)
            .unwrap()
            .starts_with("|1|")
    );
    let out = Ssh2Shell::new(settings(&sshd))
        .run("printf ok", T)
        .await
        .unwrap();
    assert_eq!(out.stdout, "ok");
}

#[tokio::test]
async fn without_known_hosts_any_host_key_is_accepted() {
    let Some(sshd) = sshd() else { return };
    let mut settings = settings(&sshd);
    settings.known_hosts_path = None;
    let out = Ssh2Shell::new(settings).run("printf ok", T).await.unwrap();
    assert_eq!((out.exit_status, out.stdout.as_str()), (Some(0), "ok"));
}
