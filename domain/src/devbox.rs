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
mod tests;
