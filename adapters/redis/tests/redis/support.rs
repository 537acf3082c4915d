//! Real Redis servers for the tests: the shared instance at 127.0.0.1:6379
//! (`SYBIL_TEST_REDIS_URL` overrides it) and `redis-server` children that a
//! test starts, kills and restarts. Without them a test is skipped with a
//! note, except under `CI=true`, where it fails.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use sybil_redis::{KEY_PREFIX, RedisBuckets};

/// A second in microseconds.
pub const S: i64 = 1_000_000;

/// The wall clock in microseconds: stored TATs have realistic magnitudes
/// (about 1.7e15, where Lua's doubles print in exponent form).
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as i64
}

/// A bucket key no other test (nor an earlier run) uses.
pub fn unique(name: &str) -> String {
    format!("test:{}:{name}", uuid::Uuid::now_v7())
}

fn unavailable(reason: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("Redis integration tests cannot run: {reason}");
    }
    // Straight to the stderr handle: libtest hides `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipping Redis integration test: {reason} (fails under CI=true)"
    );
}

/// The shared instance, with a plain connection to look at the keys.
pub struct Shared {
    pub url: String,
    raw: MultiplexedConnection,
}

impl Shared {
    pub async fn connect() -> Option<Shared> {
        let url = std::env::var("SYBIL_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_string());
        let connect = async {
            let client = redis::Client::open(url.as_str())?;
            let mut raw = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<()>(&mut raw).await?;
            Ok::<_, redis::RedisError>(raw)
        };
        match tokio::time::timeout(Duration::from_secs(2), connect).await {
            Ok(Ok(raw)) => Some(Shared { url, raw }),
            Ok(Err(e)) => {
                unavailable(&format!("the shared Redis does not answer: {e}"));
                None
            }
            Err(_) => {
                unavailable("the shared Redis does not answer within 2 s");
                None
            }
        }
    }

    pub fn buckets(&self) -> RedisBuckets {
        RedisBuckets::new(&self.url).expect("valid URL")
    }

    /// The stored value of bucket `key`.
    pub async fn get(&self, key: &str) -> Option<String> {
        self.raw
            .clone()
            .get(format!("{KEY_PREFIX}{key}"))
            .await
            .unwrap()
    }

    pub async fn set(&self, key: &str, value: &str) {
        let _: () = self
            .raw
            .clone()
            .set_ex(format!("{KEY_PREFIX}{key}"), value, 60)
            .await
            .unwrap();
    }

    /// Milliseconds until bucket `key` expires (-2: no such key, -1: never).
    pub async fn pttl(&self, key: &str) -> i64 {
        self.raw
            .clone()
            .pttl(format!("{KEY_PREFIX}{key}"))
            .await
            .unwrap()
    }

    /// Whether `name` exists, taken as a whole key (no prefix added).
    pub async fn exists_raw(&self, name: &str) -> bool {
        self.raw.clone().exists(name).await.unwrap()
    }
}

/// What the `tracing` events of this thread print, while the guard lives.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Lines at `level` (`WARN`, `INFO`) from this crate.
    pub fn count(&self, level: &str) -> usize {
        self.text()
            .lines()
            .filter(|l| l.contains(&format!(" {level} sybil_redis")))
            .count()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
