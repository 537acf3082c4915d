//! A PostgreSQL database of one test, dropped when its guard is, so a test
//! that fails (panics) leaves no `sybil_*` database behind.

use sea_orm::{ConnectionTrait, Database};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Owns a fresh database on the test server (`SYBIL_TEST_POSTGRES_URL`
/// names its admin database); dropping the guard drops the database.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// A new database named `<prefix>_<uuid>`. Without PostgreSQL: `None`
    /// and a note, or a failure under `CI=true`.
    pub async fn create(prefix: &str) -> Option<PgDatabase> {
        let admin_url =
            std::env::var("SYBIL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
        let admin = match Database::connect(admin_url.as_str()).await {
            Ok(c) => c,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("PostgreSQL is required when CI=true: {e}")
            }
            Err(e) => {
                eprintln!("skipped: PostgreSQL unreachable: {e}");
                return None;
            }
        };
        let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        let _ = admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Cuts the connections to this database whose `application_name` is
    /// `name`, as a failing network or an operator would; how many.
    pub async fn terminate_connections_of(&self, name: &str) -> usize {
        let admin = Database::connect(self.admin_url.as_str())
            .await
            .expect("admin");
        let rows = admin
            .query_all_raw(sea_orm::Statement::from_string(
                admin.get_database_backend(),
                format!(
                    "SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity \
                     WHERE datname = '{}' AND application_name = '{name}'",
                    self.name
                ),
            ))
            .await
            .expect("terminate");
        let _ = admin.close().await;
        rows.len()
    }

    /// Ends every session on the database and drops it now.
    pub async fn drop_now(&self) {
        drop_database(&self.admin_url, &self.name)
            .await
            .expect("drop database");
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sea_orm::DbErr> {
    let admin = Database::connect(admin_url).await?;
    // FORCE: the servers under test may still hold pooled connections.
    let dropped = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .map(|_| ());
    let _ = admin.close().await;
    dropped
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop cannot await and the test's runtime may be single-threaded (or
        // unwinding): the DROP runs on a thread with its own runtime.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for cleanup");
            if let Err(e) = runtime.block_on(drop_database(&admin_url, &name)) {
                eprintln!("could not drop test database {name}: {e}");
            }
        });
        let _ = dropper.join();
    }
}

/// Whether a database of that name exists on the test server.
async fn exists(name: &str) -> bool {
    let admin_url =
        std::env::var("SYBIL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
    let admin = Database::connect(admin_url.as_str()).await.expect("admin");
    let found = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .expect("look the database up")
        .is_some();
    let _ = admin.close().await;
    found
}

#[tokio::test]
async fn a_test_that_fails_still_drops_its_database() {
    let (named, name) = tokio::sync::oneshot::channel();
    // The "test": creates its database, then fails.
    let failing = tokio::spawn(async move {
        let Some(db) = PgDatabase::create("sybil_guard").await else {
            return;
        };
        let _ = named.send(db.name.clone());
        assert!(exists(&db.name).await);
        panic!("a failing test");
    });
    let outcome = failing.await;
    // Without PostgreSQL the "test" was skipped and named nothing.
    if let Ok(name) = name.await {
        assert!(outcome.is_err_and(|e| e.is_panic()));
        assert!(!exists(&name).await, "{name} was left behind");
    }
}
