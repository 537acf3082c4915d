//! Tests of `settings_from_env`: every SSH variable's rules and messages.
use super::*;
use std::collections::HashMap;

use crate::config::test_key::MADE_UP_SSH_KEY as KEY;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn nothing_enabled_reads_nothing() {
    let lookup = |_: &str| -> Option<String> { panic!("must not read") };
    assert_eq!(settings_from_env(lookup, &[]), Ok(None));
}

#[test]
fn user_at_host_and_base64_key() {
    let s = settings_from_env(
        env(&[(VAR_HOST, "dev@box.local"), (VAR_KEY_B64, &b64(KEY))]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap()
    .unwrap();
    assert_eq!(s.host, "box.local");
    assert_eq!(s.user, "dev");
    assert_eq!(s.port, 22);
    assert_eq!(s.private_key.expose(), KEY);
    assert_eq!(s.known_hosts_path, None);
}

#[test]
fn explicit_user_and_port_win() {
    let s = settings_from_env(
        env(&[
            (VAR_HOST, "dev@10.0.0.5"),
            (VAR_USER, "ops"),
            (VAR_PORT, "2222"),
            (VAR_KEY_B64, &b64(KEY)),
        ]),
        &[VAR_SHELL_ENABLED],
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (s.user.as_str(), s.host.as_str(), s.port),
        ("ops", "10.0.0.5", 2222)
    );
}

#[test]
fn user_falls_back_to_the_local_user() {
    let s = settings_from_env(
        env(&[
            (VAR_HOST, "[::1]"),
            ("USER", "me"),
            (VAR_KEY_B64, &b64(KEY)),
        ]),
        &[VAR_SHELL_ENABLED],
    )
    .unwrap()
    .unwrap();
    assert_eq!((s.user.as_str(), s.host.as_str()), ("me", "::1"));
}

#[test]
fn every_missing_variable_is_named() {
    let errors = settings_from_env(env(&[]), &[VAR_CODEX_ENABLED]).unwrap_err();
    assert_eq!(
        errors,
        vec![
            "CHAT_CODEX_REMOTE_HOST is required when CHAT_CODEX_TOOL_ENABLED=true",
            "CHAT_CODEX_SSH_KEY_PATH or CHAT_CODEX_SSH_PRIVATE_KEY_B64 is required when CHAT_CODEX_TOOL_ENABLED=true",
        ]
    );
    let both = settings_from_env(
        env(&[(VAR_HOST, "h")]),
        &[VAR_CODEX_ENABLED, VAR_SHELL_ENABLED],
    )
    .unwrap_err();
    assert!(both.iter().any(|e| e.contains(
        "is required when CHAT_CODEX_TOOL_ENABLED=true or CHAT_SHELL_TOOL_ENABLED=true"
    )));
    assert!(
        both.iter()
            .any(|e| e.starts_with("CHAT_CODEX_REMOTE_USER is required"))
    );
}

#[test]
fn empty_values_count_as_unset() {
    let errors = settings_from_env(
        env(&[(VAR_HOST, " "), (VAR_KEY_PATH, ""), (VAR_KEY_B64, "")]),
        &[VAR_SHELL_ENABLED],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 2);
}

#[test]
fn bad_port() {
    for bad in ["0", "65536", "ssh", "-1"] {
        let errors = settings_from_env(
            env(&[(VAR_HOST, "u@h"), (VAR_PORT, bad), (VAR_KEY_B64, &b64(KEY))]),
            &[VAR_SHELL_ENABLED],
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1, "{bad}");
        assert!(
            errors[0].starts_with("CHAT_CODEX_REMOTE_PORT must be"),
            "{errors:?}"
        );
    }
}

#[test]
fn bad_host() {
    for bad in ["@h", "u@", "a b"] {
        let errors = settings_from_env(
            env(&[(VAR_HOST, bad), (VAR_KEY_B64, &b64(KEY))]),
            &[VAR_SHELL_ENABLED],
        )
        .unwrap_err();
        assert!(
            errors[0].starts_with("CHAT_CODEX_REMOTE_HOST"),
            "{bad}: {errors:?}"
        );
    }
}

#[test]
fn key_file_is_read_and_unreadable_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    std::fs::write(&path, KEY).unwrap();
    let p = path.to_str().unwrap();
    let s = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_PATH, p), (VAR_KEY_B64, "!!!")]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap()
    .unwrap();
    assert_eq!(s.private_key.expose(), KEY);

    let missing = dir.path().join("nope");
    let errors = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_PATH, missing.to_str().unwrap())]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("CHAT_CODEX_SSH_KEY_PATH: cannot read"),
        "{errors:?}"
    );

    std::fs::write(&path, "not a key").unwrap();
    let errors = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_PATH, p)]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap_err();
    assert!(errors[0].contains("does not hold a PEM or OpenSSH private key"));
    assert!(!errors[0].contains("not a key"));
}

#[test]
fn base64_errors_name_the_variable_and_never_the_value() {
    let garbage = "c2VjcmV0!!notbase64";
    let errors = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_B64, garbage)]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap_err();
    assert_eq!(
        errors,
        vec!["CHAT_CODEX_SSH_PRIVATE_KEY_B64 is not valid base64"]
    );

    let errors = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_B64, &b64("hello secret"))]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap_err();
    assert_eq!(
        errors,
        vec!["CHAT_CODEX_SSH_PRIVATE_KEY_B64 does not decode to a PEM or OpenSSH private key"]
    );
}

#[test]
fn base64_with_line_breaks_and_no_padding_is_accepted() {
    let wrapped: String = b64(KEY)
        .trim_end_matches('=')
        .as_bytes()
        .chunks(20)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let s = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_B64, &wrapped)]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap()
    .unwrap();
    assert_eq!(s.private_key.expose(), KEY);
}

#[test]
fn known_hosts_must_be_readable() {
    let errors = settings_from_env(
        env(&[
            (VAR_HOST, "u@h"),
            (VAR_KEY_B64, &b64(KEY)),
            (VAR_KNOWN_HOSTS, "/nonexistent/known_hosts"),
        ]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("CHAT_CODEX_KNOWN_HOSTS_PATH: cannot read /nonexistent/known_hosts")
    );
}

#[test]
fn debug_never_shows_the_key() {
    let s = settings_from_env(
        env(&[(VAR_HOST, "u@h"), (VAR_KEY_B64, &b64(KEY))]),
        &[VAR_CODEX_ENABLED],
    )
    .unwrap()
    .unwrap();
    let dbg = format!("{s:?}");
    assert!(dbg.contains("[redacted]"));
    assert!(!dbg.contains("secretbody"));
    assert!(!dbg.contains("PRIVATE KEY"));
}
