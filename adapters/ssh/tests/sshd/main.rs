//! `Ssh2Shell` against a real OpenSSH sshd started by the tests (see `support`).

mod auth;
mod codex;
mod host_key;
mod shell;
mod stop;
mod support;
