//! The builders' exact output. That real shells read it back as the same
//! values is tested where processes may be spawned: the ssh adapter's
//! `tests/command_lines.rs`.

use super::*;

#[test]
fn quotes_with_single_quotes() {
    assert_eq!(shell_quote("abc"), "'abc'");
    assert_eq!(shell_quote("two words"), "'two words'");
    assert_eq!(shell_quote("$(x) `y` ;&|"), "'$(x) `y` ;&|'");
    assert_eq!(shell_quote("a\nb"), "'a\nb'");
    assert_eq!(shell_quote("-n"), "'-n'");
    assert_eq!(shell_quote("\\"), "'\\'");
    assert_eq!(shell_quote("日本"), "'日本'");
}

#[test]
fn empty_string_is_two_quotes() {
    assert_eq!(shell_quote(""), "''");
}

#[test]
fn single_quote_closes_escapes_and_reopens() {
    assert_eq!(shell_quote("'"), "''\\'''");
    assert_eq!(shell_quote("it's"), "'it'\\''s'");
    assert_eq!(shell_quote("''"), "''\\'''\\'''");
}

#[test]
fn nul_is_rejected_by_reject_nul_naming_the_field() {
    assert_eq!(reject_nul("prompt", "fine\n'$(x)'"), Ok(()));
    let err = reject_nul("command", "echo a\0b").unwrap_err();
    assert_eq!(err.field, "command");
    assert_eq!(
        err.to_string(),
        "command contains a NUL character (U+0000), which cannot be passed to a remote program"
    );
}

#[test]
fn nul_is_copied_not_dropped_by_shell_quote() {
    // Total and lossless on its own; the caller's reject_nul is the gate.
    assert_eq!(shell_quote("a\0b"), "'a\0b'");
}

#[test]
fn wrapped_prompt_is_preamble_then_prompt_unchanged() {
    for prompt in ["", "-n", "it's", "$(x)\nline2", "日本語"] {
        let wrapped = wrap_codex_prompt(prompt);
        assert_eq!(wrapped.strip_prefix(CODEX_PREAMBLE), Some(prompt));
    }
    assert!(CODEX_PREAMBLE.contains("non-interactively"));
    assert!(CODEX_PREAMBLE.contains("do not ask"));
    assert!(CODEX_PREAMBLE.starts_with(|c: char| c.is_ascii_alphabetic()));
}

#[test]
fn codex_command_shape() {
    let cmd = codex_command("/workspace/sybil codex", "say 'hi'");
    assert_eq!(
        cmd,
        format!(
            "mkdir -p -- '/workspace/sybil codex' && cd -- '/workspace/sybil codex' && \
             exec codex exec --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check {}",
            shell_quote(&wrap_codex_prompt("say 'hi'"))
        )
    );
}

#[test]
fn shell_command_shape() {
    let cmd = shell_command("/w", "ls -la; echo $(pwd)");
    assert_eq!(
        cmd,
        "mkdir -p -- '/w' && cd -- '/w' && if command -v bash >/dev/null 2>&1; \
         then exec bash -lc 'ls -la; echo $(pwd)'; else exec sh -lc 'ls -la; echo $(pwd)'; fi"
    );
}

#[test]
fn workdir_tilde_means_home_and_the_rest_stays_quoted() {
    assert_eq!(workdir_word("~"), "\"$HOME\"");
    assert_eq!(workdir_word("~/a b/$(x)"), "\"$HOME\"/'a b/$(x)'");
    assert_eq!(workdir_word("~root"), "'~root'");
    assert_eq!(workdir_word("-dir"), "'-dir'");
    assert_eq!(workdir_word(""), "''");
}
