//! `redis-server` children for tests that need a Redis of their own to
//! kill, freeze and restart (the shared one at 127.0.0.1:6379 must stay
//! up): no persistence, on a port of the test's, killed when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Whether `redis-server` can be started.
pub fn redis_server_installed() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let reason = "redis-server is not installed (apt-get install redis-server)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{reason}: required when CI=true");
        }
        // Straight to the stderr handle: libtest hides `eprintln!` of passing tests.
        let _ = writeln!(std::io::stderr(), "skipped: {reason}");
    }
    found
}

/// A `redis-server` child without persistence on 127.0.0.1:`port`, killed
/// when dropped (a failing test included).
pub struct RedisServer {
    child: Child,
    pub port: u16,
}

impl RedisServer {
    pub fn start(port: u16) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        // The guard exists before the wait, so a server that never answers
        // is killed too.
        let server = RedisServer { child, port };
        for _ in 0..500 {
            if ping(port) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server on port {port} did not answer PING within 5 s");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// SIGKILL, and waits until it is gone (its port closed).
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Freezes it (SIGSTOP): connections stay open and nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One `PING` over a fresh connection to 127.0.0.1:`port`.
pub fn ping(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// The machine's shared Redis (127.0.0.1:6379) as a `REDIS_URL`, if it
/// answers; under `CI=true` it must.
pub fn shared_redis_url() -> Option<String> {
    if ping(6379) {
        return Some("redis://127.0.0.1:6379/".into());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("Redis at 127.0.0.1:6379 is required when CI=true");
    }
    let _ = writeln!(std::io::stderr(), "skipped: no Redis at 127.0.0.1:6379");
    None
}
