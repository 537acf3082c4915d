//! Test databases: a fresh SQLite file or PostgreSQL database per test, removed when dropped.

mod fixtures;
mod raw;

use std::env;
use std::ops::Deref;
use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sybil_storage::SeaOrmStorage;
use uuid::Uuid;

pub use fixtures::*;
pub use raw::*;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated database that only this test uses. Derefs to the storage, so a
/// case written against `&SeaOrmStorage` accepts `&TestDb` too.
pub struct TestDb {
    pub storage: SeaOrmStorage,
    /// The URL of this database, for raw checks behind the adapter's back.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Deref for TestDb {
    type Target = SeaOrmStorage;
    fn deref(&self) -> &SeaOrmStorage {
        &self.storage
    }
}

/// A unique path under the temp folder; nothing is created.
pub fn temp_path(name: &str) -> PathBuf {
    env::temp_dir().join(format!("sybil-test-{}-{name}", Uuid::now_v7().simple()))
}

pub async fn sqlite() -> TestDb {
    let path = temp_path("db.sqlite");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let storage = SeaOrmStorage::connect(&url).await.expect("connect SQLite");
    storage.migrate().await.expect("migrate SQLite");
    TestDb {
        storage,
        url,
        cleanup: Cleanup::SqliteFile(path),
    }
}

/// `None` (after saying so) when PostgreSQL is unreachable outside CI; in CI
/// (`CI=true`) an unreachable server fails the test.
pub async fn postgres() -> Option<TestDb> {
    let admin_url =
        env::var("SYBIL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string());
    let admin = match admin_connect(&admin_url).await {
        Ok(admin) => admin,
        Err(e) if env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "PostgreSQL is required when CI=true but is unreachable (SYBIL_TEST_POSTGRES_URL): {e}"
            )
        }
        Err(e) => {
            eprintln!(
                "skipped: PostgreSQL unreachable (set SYBIL_TEST_POSTGRES_URL, or CI=true to fail): {e}"
            );
            return None;
        }
    };
    let name = format!("sybil_test_{}", Uuid::now_v7().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    let _ = admin.close().await;
    // From here on the database exists, so Drop removes it even if setup panics.
    let url = with_database(&admin_url, &name);
    let cleanup = Cleanup::Postgres { admin_url, name };
    let storage = SeaOrmStorage::connect(&url)
        .await
        .expect("connect PostgreSQL");
    let db = TestDb {
        storage,
        url,
        cleanup,
    };
    db.storage.migrate().await.expect("migrate PostgreSQL");
    Some(db)
}

async fn admin_connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut opt = ConnectOptions::new(url);
    opt.connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .max_connections(1)
        .sqlx_logging(false);
    Database::connect(opt).await
}

/// The admin URL with its database name replaced, query string kept.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop cannot await, and the test's runtime may be single-threaded:
                // run the best-effort DROP on a thread with its own runtime.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let dropper = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime for cleanup");
                    runtime.block_on(async {
                        if let Ok(admin) = admin_connect(&admin_url).await {
                            // FORCE: the test's own pool may still hold connections.
                            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                            if let Err(e) = admin.execute_unprepared(&sql).await {
                                eprintln!("could not drop test database {name}: {e}");
                            }
                            let _ = admin.close().await;
                        }
                    });
                });
                let _ = dropper.join();
            }
        }
    }
}

#[test]
fn database_name_is_replaced_and_query_kept() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "t1"),
        "postgres://u:p@h:5432/t1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t2"), "postgres://h/t2");
}
