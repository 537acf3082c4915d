//! The devbox command lines of `sybil_domain::devbox` run by the local POSIX
//! shells (`sh`, and `bash`/`dash` when present): every value comes back
//! byte for byte, as one argument, whatever shell syntax it holds. The
//! remote side parses these lines the same way (`sshd` runs them with the
//! login shell's `-c`).

use std::process::Command;

use sybil_domain::devbox::{codex_command, shell_command, shell_quote, wrap_codex_prompt};

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
