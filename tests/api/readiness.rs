//! `/readyz`: ready while storage answers, 503 once PostgreSQL is gone.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};
use crate::pg_database::PgDatabase;

#[tokio::test]
async fn readyz_is_ok_while_storage_answers() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "ok": true }));
}

#[tokio::test]
async fn readyz_is_503_once_postgresql_is_gone() {
    // Its own database, so that dropping it cannot touch what other tests use.
    let Some(db) = PgDatabase::create("sybil_ready").await else {
        return;
    };
    let app = spawn_app_with(&[("DATABASE_URL", db.url())]).await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!((status, body), (200, json!({ "ok": true })));

    db.drop_now().await;
    let started = Instant::now();
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body, json!({ "message": "storage unavailable" }));
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "answered promptly"
    );
    // Liveness does not depend on storage.
    assert_eq!(app.get_json("/health").await.0, 200);
}
