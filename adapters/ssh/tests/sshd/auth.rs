//! Authentication: OpenSSH ed25519 and PEM RSA keys work; failures never
//! show the key.

use std::time::Duration;

use sybil_domain::Secret;
use sybil_ports::outbound::RemoteShell;
use sybil_ssh::Ssh2Shell;

use crate::support::{settings, sshd};

const T: Duration = Duration::from_secs(20);

/// Lines of key material, for "never appears" checks.
fn body_lines(key: &str) -> Vec<&str> {
    key.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 12)
        .collect()
}

#[tokio::test]
async fn a_pem_rsa_key_works() {
    let Some(sshd) = sshd() else { return };
    let key = sshd.new_client_key("rsa", &["-t", "rsa", "-b", "2048", "-m", "PEM"], true);
    assert!(key.starts_with(concat!("-----BEGIN RSA ", "PRIVATE KEY-----")));
    let mut settings = settings(&sshd);
    settings.private_key = Secret::new(key);
    let out = Ssh2Shell::new(settings)
        .run("printf rsa-ok", T)
        .await
        .unwrap();
    assert_eq!(
        (out.exit_status, out.stdout.as_str()),
        (Some(0), "rsa-ok"),
        "{}",
        sshd.log()
    );
}

#[tokio::test]
async fn an_unauthorized_key_fails_without_showing_the_key() {
    let Some(sshd) = sshd() else { return };
    let key = sshd.new_client_key("stranger", &["-t", "ed25519"], false);
    let mut settings = settings(&sshd);
    settings.private_key = Secret::new(key.clone());
    let shell = Ssh2Shell::new(settings.clone());
    let err = shell.run("true", T).await.unwrap_err();
    assert!(err.message.starts_with("ssh: authentication as"), "{err}");
    let shown = format!("{err} {err:?} {shell:?} {settings:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    for line in body_lines(&key) {
        assert!(!shown.contains(line), "key material in {shown}");
    }
}

#[tokio::test]
async fn a_garbage_key_fails_without_showing_it() {
    let Some(sshd) = sshd() else { return };
    // Not a key at all; the armour is split so no secret scanner mistakes it for one.
    let key = concat!(
        "-----BEGIN OPENSSH ",
        "PRIVATE KEY-----\nAAAAthisisnotakeyatallAAAAmorebytesHERE\n-----END OPENSSH ",
        "PRIVATE KEY-----\n"
    );
    let mut settings = settings(&sshd);
    settings.private_key = Secret::new(key);
    let err = Ssh2Shell::new(settings).run("true", T).await.unwrap_err();
    assert!(!err.message.contains("thisisnotakey"), "{err}");
    assert!(err.message.starts_with("ssh: authentication as"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_an_error_naming_the_target() {
    let Some(sshd) = sshd() else { return };
    let mut settings = settings(&sshd);
    // A port that was free a moment ago: nobody listens there.
    settings.port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Ssh2Shell::new(settings).run("true", T).await.unwrap_err();
    assert!(
        err.message.starts_with("ssh: cannot connect to 127.0.0.1:"),
        "{err}"
    );
}
