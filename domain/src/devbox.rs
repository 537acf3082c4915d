//! Devbox command lines: how `codex_exec` and `shell_exec` arguments become
//! one remote shell command line in which every argument is data, never syntax.
//!
//! The remote side parses what we build with a POSIX shell (the SSH user's
//! login shell runs the exec request with `-c`), so every value is wrapped in
//! single quotes, inside which a POSIX shell gives no character a meaning.
//!
//! NUL: a Rust `&str` may hold U+0000, but no program argument can (`execve`
//! ends each argument at the first NUL), so such a value cannot reach the
//! devbox byte for byte. The builders here stay total and do not check it;
//! callers reject such values first with [`reject_nul`] (the tool call fails
//! with its message), and the SSH adapter refuses a command line that still
//! holds one, so nothing ever runs with a silently shortened argument.

use std::fmt;

/// What `codex exec` is told before the model's own prompt. It starts with a
/// letter, so the wrapped prompt can never be mistaken for an option even when
/// the model's prompt starts with `-`.
pub const CODEX_PREAMBLE: &str = "You are running non-interactively (codex exec) on behalf \
of a chat assistant. Nobody can answer questions or approve anything: do not ask for \
confirmation or clarification, make reasonable assumptions, do the task, and end with a \
short summary of what you did and what you found.\n\nTask:\n";

/// The `codex exec` flags the issue fixes, in order.
pub const CODEX_FLAGS: &str = "--dangerously-bypass-approvals-and-sandbox --skip-git-repo-check";

/// A tool argument holds U+0000, which no remote program argument can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NulInArgument {
    /// Which argument, e.g. `prompt` or `command`.
    pub field: String,
}

impl fmt::Display for NulInArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} contains a NUL character (U+0000), which cannot be passed to a remote program",
            self.field
        )
    }
}

impl std::error::Error for NulInArgument {}

/// Fails when `value` holds U+0000; `field` names it in the message.
///
/// # Errors
/// [`NulInArgument`] naming `field`.
pub fn reject_nul(field: &str, value: &str) -> Result<(), NulInArgument> {
    if value.contains('\0') {
        return Err(NulInArgument {
            field: field.to_string(),
        });
    }
    Ok(())
}

/// `arg` as one POSIX shell word that expands to exactly `arg`: `'…'`, each
/// `'` written as `'\''` (close, escaped quote, reopen); `''` for the empty
/// string. NUL is copied as is (see the module note).
pub fn shell_quote(arg: &str) -> String {
    let mut quoted = String::with_capacity(arg.len() + 2);
    quoted.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// The prompt given to `codex exec`: [`CODEX_PREAMBLE`], then `prompt` unchanged.
pub fn wrap_codex_prompt(prompt: &str) -> String {
    let mut wrapped = String::with_capacity(CODEX_PREAMBLE.len() + prompt.len());
    wrapped.push_str(CODEX_PREAMBLE);
    wrapped.push_str(prompt);
    wrapped
}

/// The remote command line for `codex_exec`: create `workdir` if missing,
/// enter it, then replace the shell with
/// `codex exec --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check <wrapped prompt>`,
/// the wrapped prompt being exactly one argument.
pub fn codex_command(workdir: &str, prompt: &str) -> String {
    format!(
        "{} && exec codex exec {CODEX_FLAGS} {}",
        enter_workdir(workdir),
        shell_quote(&wrap_codex_prompt(prompt))
    )
}

/// The remote command line for `shell_exec`: create `workdir` if missing,
/// enter it, then run `command` with `bash -lc` when bash exists, else `sh -lc`.
pub fn shell_command(workdir: &str, command: &str) -> String {
    let q = shell_quote(command);
    format!(
        "{} && if command -v bash >/dev/null 2>&1; then exec bash -lc {q}; else exec sh -lc {q}; fi",
        enter_workdir(workdir)
    )
}

/// `mkdir -p -- <dir> && cd -- <dir>`. The `--` keeps a folder named `-x`
/// from being read as an option.
fn enter_workdir(workdir: &str) -> String {
    let dir = workdir_word(workdir);
    format!("mkdir -p -- {dir} && cd -- {dir}")
}

/// The workdir as a shell word. A leading `~` or `~/` means the remote home,
/// as it would in an interactive shell; quoting alone would turn it into a
/// folder literally named `~`, so it becomes `"$HOME"` and the rest is quoted.
/// Anything else (`~user`, relative paths, …) is taken literally; a relative
/// path is relative to the remote home, where SSH sessions start.
fn workdir_word(workdir: &str) -> String {
    if workdir == "~" {
        return "\"$HOME\"".to_string();
    }
    if let Some(rest) = workdir.strip_prefix("~/") {
        return format!("\"$HOME\"/{}", shell_quote(rest));
    }
    shell_quote(workdir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Values that would change meaning if any of them were shell syntax.
    const NASTY: &[&str] = &[
        "",
        " ",
        "plain",
        "two words",
        "'",
        "''",
        "it's",
        "'\\''",
        "\"",
        "\"double\" and 'single'",
        "$(touch /tmp/sybil-pwned)",
        "`touch /tmp/sybil-pwned`",
        "$HOME ${HOME} $1 $@ $* $$ $? $! $0",
        "a;b",
        "; rm -rf /",
        "a && b || c",
        "a | b > c < d >> e 2>&1",
        "line1\nline2\n",
        "\n",
        "\r\n\t",
        "-n",
        "-e \\n",
        "--help",
        "-",
        "\\",
        "\\\\'\\",
        "back\\slash\\n",
        "*",
        "*.rs ? [a-z]",
        "~",
        "~/x",
        "~root",
        "#comment",
        "a # b",
        "!",
        "!!",
        "{a,b}",
        "%s %d %%",
        "(subshell)",
        "& background",
        "=",
        "a=b",
        "héllo wörld — ünïcödé ✓ 日本語 🚀",
        "\u{200b}zero\u{feff}width",
        "\u{7f}\u{1b}[31mred",
        "'$(`\\\"\n;&|<>*?~#!{}[]()",
    ];

    /// Runs `script` with `shell -c` and returns its stdout bytes.
    fn run(shell: &str, script: &str) -> Option<Vec<u8>> {
        let out = Command::new(shell).arg("-c").arg(script).output().ok()?;
        assert!(
            out.status.success(),
            "{shell} -c {script:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(out.stdout)
    }

    /// Every POSIX shell present here; `sh` always is.
    fn shells() -> Vec<&'static str> {
        ["sh", "bash", "dash"]
            .into_iter()
            .filter(|s| Command::new(s).arg("-c").arg(":").status().is_ok())
            .collect()
    }

    fn assert_round_trips(value: &str) {
        for shell in shells() {
            let script = format!("printf %s {}", shell_quote(value));
            let got = run(shell, &script).expect("shell runs");
            assert_eq!(got, value.as_bytes(), "{shell}: {value:?} via {script:?}");
        }
    }

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
    fn quoted_word_has_no_unquoted_characters() {
        // Outside quotes only `\'` may appear: walk the word like a shell does.
        for value in NASTY {
            let q = shell_quote(value);
            let mut chars = q.chars();
            let mut inside = false;
            while let Some(c) = chars.next() {
                match (inside, c) {
                    (true, '\'') => inside = false,
                    (true, _) => {}
                    (false, '\'') => inside = true,
                    (false, '\\') => assert_eq!(chars.next(), Some('\''), "{q:?}"),
                    (false, other) => panic!("unquoted {other:?} in {q:?}"),
                }
            }
            assert!(!inside, "unterminated quote in {q:?}");
        }
    }

    #[test]
    fn nasty_values_round_trip_through_real_shells() {
        for value in NASTY {
            assert_round_trips(value);
        }
    }

    #[test]
    fn quoted_values_are_one_argument_each() {
        // `$#` counts words: every quoted value, even empty or with spaces and
        // newlines, is exactly one argument.
        let words: Vec<String> = NASTY.iter().map(|v| shell_quote(v)).collect();
        let script = format!("set -- {}; printf %s $#", words.join(" "));
        assert_eq!(
            run("sh", &script).unwrap(),
            NASTY.len().to_string().as_bytes()
        );
    }

    #[test]
    fn random_strings_round_trip() {
        // Property-style: deterministic pseudo-random strings over an alphabet
        // of shell metacharacters, whitespace, backslashes and multibyte text.
        let alphabet: Vec<char> = "'\"`$(){}[];&|<>*?~#!\\ \n\t-=%a9éü日🚀\u{1b}"
            .chars()
            .collect();
        let mut state: u64 = 0x5eed_1234_abcd_ef01;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut batch = Vec::new();
        for _ in 0..300 {
            let len = (next() % 24) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            batch.push(s);
        }
        // One shell run per batch keeps it fast: print each value, NUL-separated.
        let script = batch
            .iter()
            .map(|s| format!("printf '%s\\0' {}", shell_quote(s)))
            .collect::<Vec<_>>()
            .join("; ");
        for shell in shells() {
            let got = run(shell, &script).unwrap();
            let expected: Vec<u8> = batch
                .iter()
                .flat_map(|s| s.bytes().chain(std::iter::once(0)))
                .collect();
            assert_eq!(got, expected, "{shell}");
        }
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
        for prompt in NASTY {
            let wrapped = wrap_codex_prompt(prompt);
            assert_eq!(wrapped.strip_prefix(CODEX_PREAMBLE), Some(*prompt));
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

    /// A fresh, not yet existing folder under the system temp dir.
    fn fresh_dir(tag: &str) -> std::path::PathBuf {
        use std::time::{SystemTime, UNIX_EPOCH};
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        std::env::temp_dir().join(format!(
            "sybil-devbox-{tag}-{}-{nanos}/ -odd 'dir' $(x)",
            std::process::id()
        ))
    }

    #[test]
    fn shell_command_runs_locally_in_a_created_workdir() {
        let dir = fresh_dir("shell");
        let wd = dir.to_str().unwrap();
        let command = "printf '%s|' \"$PWD\" \"$0\"; printf %s 'a'\\''b $(no) `no`'";
        let got = run("sh", &shell_command(wd, command)).unwrap();
        let shell = if Command::new("bash").arg("-c").arg(":").status().is_ok() {
            "bash"
        } else {
            "sh"
        };
        assert_eq!(
            String::from_utf8(got).unwrap(),
            format!("{wd}|{shell}|a'b $(no) `no`")
        );
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn codex_command_passes_the_wrapped_prompt_as_one_argument() {
        // Put a fake `codex` first on PATH that prints its arguments NUL-separated.
        let dir = fresh_dir("codex");
        let bin = dir.parent().unwrap().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let fake = bin.join("codex");
        std::fs::write(&fake, "#!/bin/sh\nprintf '%s\\0' \"$PWD\" \"$@\"\n").unwrap();
        Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
        let prompt = "-n 'quoted' \"dq\" $(touch x) `id`; a && b\nline2 ✓ \\ * ~";
        let script = format!(
            "PATH={}:\"$PATH\"; {}",
            shell_quote(bin.to_str().unwrap()),
            codex_command(dir.to_str().unwrap(), prompt)
        );
        let got = run("sh", &script).unwrap();
        let parts: Vec<&[u8]> = got.split(|b| *b == 0).collect();
        let wrapped = wrap_codex_prompt(prompt);
        let expected: Vec<&[u8]> = vec![
            dir.to_str().unwrap().as_bytes(),
            b"exec",
            b"--dangerously-bypass-approvals-and-sandbox",
            b"--skip-git-repo-check",
            wrapped.as_bytes(),
            b"",
        ];
        assert_eq!(parts, expected);
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }
}
