//! The log lines' writer: a thread of its own that wakes once per batch,
//! not once per line.
//!
//! tracing-appender's non-blocking writer, used before, woke its thread for
//! nearly every line: a request's log line cost the runtime thread a futex
//! wake-up and the log thread a context switch (measured one request at a
//! time: 1.6 switches per request on the log thread, 7 % of a core).
//! Here lines gather in a shared buffer. After each write the thread waits
//! `linger` for more, so under load it wakes about `1 / linger` times a
//! second; the first line after a quiet spell wakes it at once, and so does
//! a buffer past `flush_at`. No line is dropped: past `max` waiting bytes a
//! logger waits for the thread.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// When the writer thread writes, and how much may wait.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long the thread lets lines gather after a write.
    pub linger: Duration,
    /// Waiting bytes that end the linger early.
    pub flush_at: usize,
    /// Waiting bytes past which loggers wait for the thread.
    pub max: usize,
}

/// Hands lines to the writer thread; cloning shares it.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Writes the waiting lines and stops the thread when dropped.
#[must_use = "dropping the guard stops the log writer"]
pub struct WriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// For the writer thread: a first line after idle, `flush_at`, the end.
    work: Condvar,
    /// For loggers waiting for room.
    room: Condvar,
    limits: Limits,
}

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    /// The thread waits for a first line: the next one wakes it.
    idle: bool,
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the writer thread, named `name`, writing batches to `out`.
///
/// # Errors
/// When the thread cannot be started.
pub fn spawn<W: Write + Send + 'static>(
    name: &str,
    limits: Limits,
    out: W,
) -> io::Result<(BatchWriter, WriterGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        work: Condvar::new(),
        room: Condvar::new(),
        limits,
    });
    let drained = shared.clone();
    let thread = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || write_batches(&drained, out))?;
    Ok((
        BatchWriter {
            shared: shared.clone(),
        },
        WriterGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn write_batches(shared: &Shared, mut out: impl Write) {
    let Limits {
        linger,
        flush_at,
        max: _,
    } = shared.limits;
    let mut batch = Vec::new();
    let mut state = shared.lock();
    loop {
        while state.lines.is_empty() && !state.closed {
            state.idle = true;
            state = shared
                .work
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.idle = false;
        if state.lines.is_empty() {
            return; // closed, and everything written
        }
        std::mem::swap(&mut state.lines, &mut batch);
        drop(state);
        shared.room.notify_all();
        // A log that cannot be written (a closed stdout) has nowhere to say so.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        // A burst's buffer is not kept for the quiet that follows.
        batch.shrink_to(flush_at);
        state = shared.lock();
        state = shared
            .work
            .wait_timeout_while(state, linger, |s| s.lines.len() < flush_at && !s.closed)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// One logger's handle for one line (`tracing` formats a line whole and
/// writes it in one call, so lines never interleave).
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let shared = self.shared;
        let Limits { flush_at, max, .. } = shared.limits;
        let mut state = shared.lock();
        // The thread is behind: wait for it rather than drop the line.
        while state.lines.len() >= max && !state.closed {
            state = shared
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let before = state.lines.len();
        state.lines.extend_from_slice(line);
        let wake = state.idle || (before < flush_at && state.lines.len() >= flush_at);
        state.idle = false;
        drop(state);
        if wake {
            shared.work.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Sends each batch it is given.
    struct Batches(mpsc::Sender<Vec<u8>>);

    impl Write for Batches {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.0.send(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A linger that only a full buffer or the end cuts short.
    const LINGER_FOREVER: Limits = Limits {
        linger: Duration::from_secs(3600),
        flush_at: 1 << 20,
        max: 1 << 21,
    };
    /// A bound on waiting for the thread, far above anything expected.
    const PATIENCE: Duration = Duration::from_secs(30);

    fn start(limits: Limits) -> (BatchWriter, WriterGuard, mpsc::Receiver<Vec<u8>>) {
        let (tx, rx) = mpsc::channel();
        let (writer, guard) = spawn("test-log-writer", limits, Batches(tx)).unwrap();
        (writer, guard, rx)
    }

    fn log(writer: &BatchWriter, line: &str) {
        writer.make_writer().write_all(line.as_bytes()).unwrap();
    }

    #[test]
    fn the_first_line_after_a_quiet_spell_is_written_at_once() {
        let (writer, _guard, batches) = start(LINGER_FOREVER);
        log(&writer, "one\n");
        assert_eq!(batches.recv_timeout(PATIENCE).unwrap(), b"one\n");
    }

    #[test]
    fn lines_during_the_linger_share_one_write() {
        let (writer, guard, batches) = start(LINGER_FOREVER);
        log(&writer, "one\n");
        assert_eq!(batches.recv_timeout(PATIENCE).unwrap(), b"one\n");
        log(&writer, "two\n");
        log(&writer, "three\n");
        drop(guard); // ends the linger: what waits is written
        let rest: Vec<Vec<u8>> = batches.iter().collect();
        assert_eq!(rest, vec![b"two\nthree\n".to_vec()]);
    }

    #[test]
    fn a_full_buffer_ends_the_linger() {
        let (writer, _guard, batches) = start(Limits {
            flush_at: 8,
            ..LINGER_FOREVER
        });
        log(&writer, "one\n");
        assert_eq!(batches.recv_timeout(PATIENCE).unwrap(), b"one\n");
        log(&writer, "two\n");
        log(&writer, "three\n"); // 10 bytes waiting: past flush_at
        assert_eq!(batches.recv_timeout(PATIENCE).unwrap(), b"two\nthree\n");
    }

    #[test]
    fn no_line_is_lost_or_split_when_loggers_outpace_the_writer() {
        // A buffer of a few lines: loggers keep waiting for room.
        let limits = Limits {
            linger: Duration::ZERO,
            flush_at: 16,
            max: 32,
        };
        let (writer, guard, batches) = start(limits);
        let loggers: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        log(&writer, &format!("{t}:{i}\n"));
                    }
                })
            })
            .collect();
        for logger in loggers {
            logger.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(batches.iter().flatten().collect()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2000);
        for t in 0..4 {
            let own: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("{t}:")))
                .collect();
            let expected: Vec<String> = (0..500).map(|i| format!("{t}:{i}")).collect();
            assert_eq!(own, expected, "logger {t}'s lines, in order");
        }
    }
}
