//! A PostgreSQL whose network freezes (testkit's proxy stops passing bytes):
//! requests answer 503 instead of hanging, and the service recovers by
//! itself once the bytes flow again.

use std::future::Future;
use std::time::Duration;

use serde_json::json;
use sybil_testkit::TcpProxy;

use crate::helpers::{TestApp, spawn_app_with};
use crate::pg_database::PgDatabase;

/// Far beyond the storage timeouts: a request that would hang fails the
/// test instead of blocking it.
const GENEROUS: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(GENEROUS, work)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer in {GENEROUS:?}"))
}

async fn status(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    within(path, app.get_json(path)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_answers_503_and_recovers_when_it_thaws() {
    let Some(db) = PgDatabase::create("sybil_frozen").await else {
        return;
    };
    let (proxy, url) = TcpProxy::in_front_of(db.url()).await;
    let app = spawn_app_with(&[("DATABASE_URL", &url)]).await;
    assert_eq!(status(&app, "/readyz").await.0, 200);
    assert_eq!(status(&app, "/v1/chats").await.0, 200);

    proxy.freeze();
    let unavailable = json!({ "message": "storage unavailable" });
    assert_eq!(status(&app, "/readyz").await, (503, unavailable.clone()));
    assert_eq!(status(&app, "/v1/chats").await, (503, unavailable.clone()));
    assert_eq!(status(&app, "/readyz").await, (503, unavailable));
    // Liveness does not depend on storage.
    assert_eq!(status(&app, "/health").await.0, 200);

    proxy.thaw();
    assert_eq!(status(&app, "/readyz").await.0, 200);
    assert_eq!(status(&app, "/v1/chats").await.0, 200);
    let (created, _) = within(
        "a write",
        app.post_json("/v1/chats", &json!({ "title": "after the thaw" })),
    )
    .await;
    assert_eq!(created, 201);
}
