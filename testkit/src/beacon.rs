//! A named pipe that tells a test when a command on the test devbox has
//! started and when it, and every process it started, is gone: two
//! notifications, where polling `pgrep` and marker files would guess.
//!
//! The command opens the pipe for writing on fd 3 (`Beacon::open`) and
//! writes a line. Its children inherit fd 3, so the reader sees the end of
//! the pipe only once the last of them has exited, however it was killed.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tokio::sync::oneshot;

pub struct Beacon {
    path: PathBuf,
    started: Option<oneshot::Receiver<()>>,
    ended: Option<oneshot::Receiver<()>>,
}

impl Beacon {
    /// Makes the pipe at `path` and starts reading it on a thread of its
    /// own (opening a pipe blocks until its writer opens it).
    ///
    /// # Panics
    /// When `mkfifo` fails.
    pub fn new(path: &Path) -> Beacon {
        let made = Command::new("mkfifo").arg(path).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
        let (started_tx, started) = oneshot::channel();
        let (ended_tx, ended) = oneshot::channel();
        let reading = path.to_owned();
        std::thread::spawn(move || {
            let Ok(pipe) = std::fs::File::open(&reading) else {
                return;
            };
            let mut pipe = BufReader::new(pipe);
            let mut line = String::new();
            if pipe.read_line(&mut line).is_ok_and(|n| n > 0) {
                let _ = started_tx.send(());
            }
            let _ = pipe.read_to_end(&mut Vec::new());
            let _ = ended_tx.send(());
        });
        Beacon {
            path: path.to_owned(),
            started: Some(started),
            ended: Some(ended),
        }
    }

    /// The shell that begins a command: holds the pipe on fd 3 (inherited
    /// by everything it starts) and says it runs.
    pub fn open(&self) -> String {
        format!("exec 3>'{}'; echo started >&3; ", self.path.display())
    }

    /// Whether the command wrote its line within `within`.
    pub async fn started(&mut self, within: Duration) -> bool {
        let started = self.started.take().expect("awaited once");
        matches!(tokio::time::timeout(within, started).await, Ok(Ok(())))
    }

    /// Whether every process holding the pipe was gone within `within`.
    pub async fn ended(&mut self, within: Duration) -> bool {
        let ended = self.ended.take().expect("awaited once");
        matches!(tokio::time::timeout(within, ended).await, Ok(Ok(())))
    }
}
