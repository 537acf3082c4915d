//! `sybil` processes of a test, run from the built binary with nothing of
//! the developer's environment: for what only a real process shows (two
//! replicas on one database, signals, a crash).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};

use serde_json::Value;

/// The lines `sybil` writes up to the one saying it listens, that one
/// included.
pub fn lines_until_listening(stdout: &mut impl BufRead) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "exited before listening"
        );
        let listening = line.contains("sybil listening");
        lines.push(line);
        if listening {
            return lines;
        }
    }
}

/// A running `sybil`, killed (SIGKILL) when dropped.
pub struct SybilProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl SybilProcess {
    /// Starts `sybil` with `env` on a free port, JSON logs on stdout, and
    /// waits (off the runtime's threads) until it listens.
    pub async fn start(env: Vec<(String, String)>) -> SybilProcess {
        tokio::task::spawn_blocking(move || SybilProcess::start_blocking(&env))
            .await
            .unwrap()
    }

    fn start_blocking(env: &[(String, String)]) -> SybilProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sybil"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(std::env::temp_dir())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sybil");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let lines = lines_until_listening(&mut stdout);
        let listening: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
        let addr = listening["addr"].as_str().unwrap().to_string();
        // Keep reading its log, so a full pipe never blocks the server.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        SybilProcess {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// Sends SIGTERM; resolves with its exit status once it exited.
    pub async fn terminate(mut self) -> ExitStatus {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        tokio::task::spawn_blocking(move || self.child.wait().unwrap())
            .await
            .unwrap()
    }
}

impl Drop for SybilProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
