//! Fleet-wide GCRA buckets in Redis (`REDIS_URL`, COLLAB-API §7.4): the
//! `RateBuckets` port over one connection shared by every request.
//!
//! A consuming decision is one atomic Lua script (`gcra.lua`) that admits
//! or refuses, stores the new TAT with an expiry at the instant the bucket
//! is full again, and returns the TAT it found; the decision and its headers
//! then come from the domain's `Gcra::decide` on that TAT, the same function
//! that decides in memory. A look without consuming is a plain `GET`.
//!
//! Redis being down must not take the service down: the constructor only
//! checks the URL, the connection is opened on first use and re-opened as
//! needed, and every call is bounded by a short timeout. A failure is
//! `BucketsUnavailable` (the caller admits the request unchecked); a warning
//! is logged once per outage and a note when Redis answers again.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, ErrorKind, RedisError, Script};
use sybil_domain::rate_limit::{Gcra, GcraDecision};
use sybil_ports::outbound::{BucketsUnavailable, RateBuckets};

/// Every bucket key is stored under this prefix.
pub const KEY_PREFIX: &str = "sybil:";

/// How long one decision may take before the request goes on unchecked
/// (a loopback round trip takes about 0.1 ms).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// One attempt to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection that failed in a way its manager does not repair by itself
/// (a timeout on a silent peer, a refused handshake) is replaced, but no
/// sooner than this after it was opened, so a stalled Redis does not get a
/// new connection per request.
const REPLACE_AFTER: Duration = Duration::from_secs(1);

/// While Redis is down, requests do not wait on it: one call per this
/// interval tries it (and notices that it answers again); the others go on
/// unchecked at once.
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// Anything outside this range is no TAT (2^53 µs is where doubles, Lua's
/// only numbers, stop being exact); `gcra.lua` has the same bound.
const TAT_BOUND: i64 = 9_000_000_000_000_000;

/// `REDIS_URL` cannot be used. The message never contains the URL's
/// password (nor the URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("REDIS_URL is invalid: {0}")]
pub struct InvalidRedisUrl(String);

/// GCRA buckets shared by every process that uses the same Redis.
pub struct RedisBuckets {
    client: Client,
    /// Where Redis is, for logs: `host:port/db`, never a password.
    target: String,
    /// The URL's password, scrubbed from every message that leaves here.
    password: Option<String>,
    timeout: Duration,
    script: Script,
    connection: Mutex<Option<Slot>>,
    /// Numbers the connections opened, to tell them apart.
    opened: AtomicU64,
    /// Whether the last call failed: the warning is logged once per outage.
    down: AtomicBool,
    /// While `down`: when the next call may try Redis.
    next_probe: Mutex<Instant>,
}

#[derive(Clone)]
struct Slot {
    manager: ConnectionManager,
    id: u64,
    opened: Instant,
}

impl RedisBuckets {
    /// Checks `REDIS_URL` (`redis://[user][:password@]host[:port][/db]`, or
    /// a `unix:` socket path) without connecting: Redis may still be down,
    /// the first decision connects (inside the tokio runtime).
    pub fn new(url: &str) -> Result<RedisBuckets, InvalidRedisUrl> {
        let parsed =
            url::Url::parse(url.trim()).map_err(|e| InvalidRedisUrl(format!("not a URL ({e})")))?;
        let raw_password = parsed.password().map(str::to_string);
        let client = Client::open(parsed).map_err(|e| {
            let mut message = e.to_string();
            if let Some(password) = raw_password.as_deref() {
                message = scrub(message, password);
            }
            InvalidRedisUrl(message)
        })?;
        let info = client.get_connection_info();
        let target = format!("{}/{}", info.addr(), info.redis_settings().db());
        let password = info
            .redis_settings()
            .password()
            .or(raw_password.as_deref())
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        Ok(RedisBuckets {
            client,
            target,
            password,
            timeout: DEFAULT_TIMEOUT,
            script: Script::new(include_str!("gcra.lua")),
            connection: Mutex::new(None),
            opened: AtomicU64::new(0),
            down: AtomicBool::new(false),
            next_probe: Mutex::new(Instant::now()),
        })
    }

    /// Bounds every call by `timeout` instead of [`DEFAULT_TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> RedisBuckets {
        self.timeout = timeout;
        self
    }

    /// Where Redis is (`host:port/db`), for logs; never the password.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The connection, opened lazily: a manager that connects on its first
    /// command and reconnects by itself once a connection drops.
    fn slot(&self) -> Result<Slot, RedisError> {
        let mut current = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = current.as_ref() {
            return Ok(slot.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            // `decide` bounds every call itself.
            .set_response_timeout(None)
            // One attempt per reconnection: requests fail open meanwhile and
            // the next one that finds the connection gone starts another.
            .set_number_of_retries(0);
        let slot = Slot {
            manager: ConnectionManager::new_lazy_with_config(self.client.clone(), config)?,
            id: self.opened.fetch_add(1, Ordering::Relaxed),
            opened: Instant::now(),
        };
        *current = Some(slot.clone());
        Ok(slot)
    }

    /// Drops the connection `failed` (unless it was replaced already, or is
    /// too young) so that the next call opens a new one.
    fn replace(&self, failed: &Slot) {
        if failed.opened.elapsed() < REPLACE_AFTER {
            return;
        }
        let mut current = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|c| c.id == failed.id) {
            *current = None;
        }
    }

    /// The TAT stored under `key` (before this call), charging the bucket
    /// when `consume` and the request is admitted.
    async fn stored_tat(
        &self,
        manager: &mut ConnectionManager,
        key: &str,
        limit: Gcra,
        now_us: i64,
        consume: bool,
    ) -> Result<Option<String>, RedisError> {
        let key = format!("{KEY_PREFIX}{key}");
        if consume {
            let interval = limit.interval_us();
            let tolerance = interval.saturating_mul(i64::from(limit.burst.max(1)) - 1);
            self.script
                .key(key)
                .arg(now_us)
                .arg(interval)
                .arg(tolerance)
                .invoke_async(manager)
                .await
        } else {
            redis::cmd("GET").arg(key).query_async(manager).await
        }
    }

    /// While Redis is down, whether this call is the one that tries it.
    fn may_probe(&self) -> bool {
        if !self.down.load(Ordering::Relaxed) {
            return true;
        }
        let mut next = self.next_probe.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = now + PROBE_EVERY;
        true
    }

    fn unavailable(&self, reason: String) -> BucketsUnavailable {
        let reason = match self.password.as_deref() {
            Some(password) => scrub(reason, password),
            None => reason,
        };
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                redis = %self.target,
                error = %reason,
                "Redis is unreachable: rate-limited requests are admitted unchecked until it answers"
            );
        }
        BucketsUnavailable(reason)
    }

    fn answered(&self) {
        if self.down.load(Ordering::Relaxed) && self.down.swap(false, Ordering::Relaxed) {
            tracing::info!(redis = %self.target, "Redis answers again: rate limits are checked");
        }
    }
}

#[async_trait]
impl RateBuckets for RedisBuckets {
    async fn decide(
        &self,
        key: &str,
        limit: Gcra,
        now_us: i64,
        consume: bool,
    ) -> Result<GcraDecision, BucketsUnavailable> {
        if !self.may_probe() {
            return Err(BucketsUnavailable(
                "Redis is unreachable (retried shortly)".into(),
            ));
        }
        let slot = self
            .slot()
            .map_err(|e| self.unavailable(format!("Redis: {e}")))?;
        let mut manager = slot.manager.clone();
        let answer = tokio::time::timeout(
            self.timeout,
            self.stored_tat(&mut manager, key, limit, now_us, consume),
        )
        .await;
        let stored = match answer {
            Ok(Ok(stored)) => stored,
            Ok(Err(e)) => {
                if needs_new_connection(&e) {
                    self.replace(&slot);
                }
                return Err(self.unavailable(format!("Redis: {e}")));
            }
            Err(_) => {
                self.replace(&slot);
                return Err(self.unavailable(format!(
                    "Redis did not answer within {} ms",
                    self.timeout.as_millis()
                )));
            }
        };
        self.answered();
        let tat = stored.as_deref().and_then(tat_of);
        Ok(if consume {
            limit.decide(tat, now_us)
        } else {
            limit.would_admit(tat, now_us)
        })
    }
}

impl fmt::Debug for RedisBuckets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBuckets")
            .field("redis", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Whether an error leaves the connection in a state its manager does not
/// repair: it reconnects by itself after I/O errors (a dropped connection,
/// a refused connect), and an error reply leaves the connection usable;
/// a timeout (a silent peer) or a failed handshake (a wrong password) stays.
fn needs_new_connection(e: &RedisError) -> bool {
    e.is_timeout()
        || !(e.is_io_error() || matches!(e.kind(), ErrorKind::Server(_) | ErrorKind::Extension))
}

/// A stored TAT as the script reads it: a number of plausible size, rounded
/// down (the script writes whole numbers; anything else is no bucket).
fn tat_of(stored: &str) -> Option<i64> {
    let tat = match stored.parse::<i64>() {
        Ok(tat) => tat,
        Err(_) => stored
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|t| t.abs() < TAT_BOUND as f64)?
            .floor() as i64,
    };
    (tat.abs() < TAT_BOUND).then_some(tat)
}

fn scrub(message: String, password: &str) -> String {
    if password.is_empty() || !message.contains(password) {
        message
    } else {
        message.replace(password, "***")
    }
}
