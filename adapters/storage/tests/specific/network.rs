//! PostgreSQL behind a faulty network (testkit's proxy): the call log rides
//! out a blip instead of dropping its rows.

use std::future::Future;
use std::time::Duration;

use sybil_ports::outbound::{CallLog, ChatRepository};
use sybil_storage::{QueuedCallLog, SeaOrmStorage};
use sybil_testkit::TcpProxy;

use crate::cases::{sample_call, stored_call_ids};
use crate::support::{bare_chat, postgres};

/// Far beyond what the steps need: a test that would hang fails instead.
const GENEROUS: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(GENEROUS, work)
        .await
        .unwrap_or_else(|_| panic!("{what}: no progress in {GENEROUS:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_calls_ride_out_a_database_blip() {
    let Some(db) = postgres().await else { return };
    let chat = bare_chat(1);
    db.create_chat(&chat, &[]).await.unwrap();
    let (proxy, url) = TcpProxy::in_front_of(&db.url).await;
    let storage = SeaOrmStorage::connect(&url)
        .await
        .expect("connect through the proxy");
    let log = QueuedCallLog::spawn(storage);
    let first = sample_call(Some(chat.id), "before");
    log.record_call(&first).await.unwrap();
    within("the first call", log.flush()).await;

    // The server goes away: open connections drop, new ones are refused.
    proxy.set_refusing(true);
    proxy.cut();
    let calls: Vec<_> = (0..10)
        .map(|_| sample_call(Some(chat.id), "during"))
        .collect();
    for call in &calls {
        log.record_call(call).await.unwrap();
    }
    // The writer tried again at least twice while the server was away...
    within("the writer retrying", proxy.refused_at_least(2)).await;
    // ...and once it is back, every row is stored.
    proxy.set_refusing(false);
    within("the flush", log.flush()).await;
    let stored = stored_call_ids(&db).await;
    for call in calls.iter().chain([&first]) {
        assert!(stored.contains(&call.id), "call {} lost", call.id);
    }
}
