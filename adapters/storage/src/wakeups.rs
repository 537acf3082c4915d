//! `Wakeups` on the database. SQLite (one process): a change wakes this
//! process's followers once it has committed. PostgreSQL: the change's own
//! transaction sends `pg_notify`, which the server delivers at commit (and
//! only then) to the one listening connection of every process, which wakes
//! its followers. When that connection is lost it is made again, with
//! backoff, and every follower is woken to read what it may have missed.
//! A connection that froze without closing is caught by the process's own
//! ping, a notification it sends itself every `PING_EVERY`: one not heard
//! within twice that counts as lost. So followers never poll: an idle one
//! costs the database nothing.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sybil_ports::outbound::{StorageError, Topic, Wakeup, Wakeups};
use tokio::sync::watch;

use crate::{BoundedStorage, SeaOrmStorage};

/// The `NOTIFY` channel; the payload is the topic.
const CHANNEL: &str = "sybil_wakeups";
/// The listening connection's `application_name` (how tests find it).
pub const LISTENER_NAME: &str = "sybil_listener";
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const PING_EVERY: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

fn topic_name(topic: Topic) -> String {
    match topic {
        Topic::Conversation(id) => format!("c:{id}"),
        Topic::Job(id) => format!("j:{id}"),
        Topic::JobStop(id) => format!("s:{id}"),
        Topic::ReplyEnd(id) => format!("r:{id}"),
        Topic::RateLimits => "limits".into(),
    }
}

/// The followers of this process, by topic.
#[derive(Default)]
pub(crate) struct Signals {
    topics: Mutex<HashMap<String, watch::Sender<()>>>,
}

impl Signals {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<()>>> {
        self.topics.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn subscribe(&self, topic: &str) -> watch::Receiver<()> {
        self.lock()
            .entry(topic.to_string())
            .or_insert_with(|| watch::channel(()).0)
            .subscribe()
    }

    pub(crate) fn wake(&self, topic: &str) {
        let mut topics = self.lock();
        if let Some(tx) = topics.get(topic) {
            if tx.receiver_count() == 0 {
                topics.remove(topic);
            } else {
                tx.send_replace(());
            }
        }
    }

    fn wake_all(&self) {
        let mut topics = self.lock();
        topics.retain(|_, tx| tx.receiver_count() > 0);
        for tx in topics.values() {
            tx.send_replace(());
        }
    }
}

struct Subscription(watch::Receiver<()>);

#[async_trait]
impl Wakeup for Subscription {
    async fn woken(&mut self) {
        if self.0.changed().await.is_err() {
            // The topic was dropped: never again (the caller's safety poll
            // still runs).
            std::future::pending::<()>().await;
        }
    }
}

impl SeaOrmStorage {
    fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == sea_orm::DbBackend::Postgres
    }

    /// Commits `txn`, waking the followers of `topics` on every process.
    pub(crate) async fn commit_waking(
        &self,
        txn: DatabaseTransaction,
        topics: &[Topic],
    ) -> Result<(), StorageError> {
        if self.is_postgres() {
            for topic in topics {
                self.run(
                    &txn,
                    "SELECT pg_notify($1, $2)",
                    vec![CHANNEL.into(), topic_name(*topic).into()],
                )
                .await?;
            }
            return self.commit(txn).await;
        }
        self.commit(txn).await?;
        for topic in topics {
            self.signals.wake(&topic_name(*topic));
        }
        Ok(())
    }

    /// Wakes without a transaction of its own (a change made by one statement).
    pub(crate) async fn wake(&self, topic: Topic) -> Result<(), StorageError> {
        if self.is_postgres() {
            self.run(
                &self.db,
                "SELECT pg_notify($1, $2)",
                vec![CHANNEL.into(), topic_name(topic).into()],
            )
            .await?;
        } else {
            self.signals.wake(&topic_name(topic));
        }
        Ok(())
    }

    /// PostgreSQL: listens for other processes' wake-ups (and this one's)
    /// until the process ends; `url` is the database's. SQLite: nothing.
    pub fn spawn_listener(&self, url: &str) {
        if !self.is_postgres() {
            return;
        }
        let Ok(options) = PgConnectOptions::from_str(url) else {
            return;
        };
        let options = options.application_name(LISTENER_NAME);
        let signals = self.signals.clone();
        let redactor = self.redactor.clone();
        let pinger = self.clone();
        tokio::spawn(async move {
            let mut backoff = BACKOFF_FIRST;
            loop {
                match listen(&options, &signals, &pinger).await {
                    // It listened, then lost its connection: try again soon.
                    Ok(()) => backoff = BACKOFF_FIRST,
                    Err(e) => {
                        tracing::warn!(error = %redactor.scrub(&e.to_string()), "wake-up listener cannot connect");
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                    }
                }
                tokio::time::sleep(backoff).await;
            }
        });
    }
}

/// Aborts its task when dropped.
struct Pinging(tokio::task::JoinHandle<()>);

impl Drop for Pinging {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Listens until the connection is lost or stops hearing this process's
/// own pings; `Err` when it could not start.
async fn listen(
    options: &PgConnectOptions,
    signals: &Signals,
    storage: &SeaOrmStorage,
) -> Result<(), sea_orm::sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    // Anything committed while no one listened: every follower reads again.
    signals.wake_all();
    let ping = format!("ping:{}", uuid::Uuid::now_v7());
    let _pinging = {
        let (storage, ping) = (storage.clone(), ping.clone());
        Pinging(tokio::spawn(async move {
            loop {
                tokio::time::sleep(PING_EVERY).await;
                let sent = storage
                    .run(
                        &storage.db,
                        "SELECT pg_notify($1, $2)",
                        vec![CHANNEL.into(), ping.clone().into()],
                    )
                    .await;
                if let Err(e) = sent {
                    tracing::debug!(error = %e, "wake-up ping not sent");
                }
            }
        }))
    };
    loop {
        match tokio::time::timeout(2 * PING_EVERY, listener.try_recv()).await {
            Ok(Ok(Some(n))) if n.payload().starts_with("ping:") => {}
            Ok(Ok(Some(n))) => signals.wake(n.payload()),
            Ok(Ok(None) | Err(_)) => {
                tracing::warn!("wake-up listener lost its connection; reconnecting");
                return Ok(());
            }
            Err(_) => {
                tracing::warn!("wake-up listener heard nothing, not even its ping; reconnecting");
                return Ok(());
            }
        }
    }
}

impl Wakeups for BoundedStorage {
    fn subscribe(&self, topic: Topic) -> Box<dyn Wakeup> {
        Box::new(Subscription(
            self.inner().signals.subscribe(&topic_name(topic)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_subscriber_sees_each_wake_after_it_subscribed() {
        let signals = Signals::default();
        let mut a = Subscription(signals.subscribe("c:1"));
        signals.wake("c:2");
        signals.wake("c:1");
        tokio::time::timeout(Duration::from_secs(1), a.woken())
            .await
            .expect("woken");
        let mut b = Subscription(signals.subscribe("c:1"));
        signals.wake_all();
        tokio::time::timeout(Duration::from_secs(1), b.woken())
            .await
            .expect("woken by wake_all");
        drop((a, b));
        signals.wake("c:1");
        assert!(signals.lock().is_empty(), "unfollowed topics are dropped");
    }
}
