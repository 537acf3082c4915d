//! Opening the database: URL kinds, pool sizes, timeouts, per-connection SQLite pragmas, migrations.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use log::LevelFilter;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{ConnectOptions as _, Sqlite};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    SqlxSqliteConnector, Statement,
};
use sybil_ports::outbound::StorageError;
use tokio::sync::Mutex;

use crate::error::Redactor;
use crate::wakeups::Signals;

/// Bounds both opening a connection and waiting for a free one, so an outage
/// answers 503 within 5 s instead of hanging a request.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// PostgreSQL ends a statement running longer than this (`statement_timeout`),
/// so one the client gave up on (see `bounded.rs`) does not hold its locks
/// and connection on the server. Migrations run without it.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for another writer's lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const SQLITE_FILE_CONNECTIONS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;
/// Pooled connections are re-checked only after sitting idle this long, which
/// catches connections the server dropped without a ping on every query.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);
const SLOW_STATEMENT: Duration = Duration::from_secs(1);

/// Chats, messages and (later) calls and searches in SQLite or PostgreSQL.
/// Cloning shares the pool.
#[derive(Clone)]
pub struct SeaOrmStorage {
    pub(crate) db: DatabaseConnection,
    pub(crate) redactor: Redactor,
    /// SQLite only: this process's writers take turns here (see `write.rs`).
    pub(crate) writers: Option<Arc<Mutex<()>>>,
    /// PostgreSQL only: a connection of its own for migrations, which may
    /// run longer than the pool's statement timeout allows.
    migrations: Option<ConnectOptions>,
    /// This process's followers, woken by committed changes (`wakeups.rs`).
    pub(crate) signals: Arc<Signals>,
}

// Hand-written: the pool's own Debug prints its connect options, password included.
impl fmt::Debug for SeaOrmStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeaOrmStorage")
            .field("backend", &self.db.get_database_backend())
            .finish_non_exhaustive()
    }
}

enum Target {
    SqliteFile(PathBuf),
    SqliteMemory,
    Postgres,
}

impl Target {
    fn parse(url: &str, redactor: &Redactor) -> Result<Target, StorageError> {
        // Parsed here so that a malformed URL is `Internal` (a configuration
        // bug), not the `Unavailable` SeaORM's connection error would map to.
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            PgConnectOptions::from_str(url).map_err(|e| {
                StorageError::Internal(redactor.scrub(&format!("invalid PostgreSQL URL: {e}")))
            })?;
            return Ok(Target::Postgres);
        }
        if !url.starts_with("sqlite:") {
            return Err(StorageError::Internal(
                "unsupported database URL: expected sqlite:… or postgres://…".into(),
            ));
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Ok(Target::SqliteMemory);
        }
        let options = SqliteConnectOptions::from_str(url).map_err(|e| {
            StorageError::Internal(redactor.scrub(&format!("invalid SQLite URL: {e}")))
        })?;
        Ok(Target::SqliteFile(options.get_filename().to_path_buf()))
    }

    fn options(&self, url: &str, lazy: bool) -> ConnectOptions {
        let mut opt = ConnectOptions::new(url);
        opt.connect_timeout(POOL_TIMEOUT)
            .acquire_timeout(POOL_TIMEOUT)
            .sqlx_logging(true)
            .sqlx_logging_level(LevelFilter::Debug)
            .sqlx_slow_statements_logging_settings(LevelFilter::Warn, SLOW_STATEMENT)
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
            .connect_lazy(lazy);
        match self {
            Target::Postgres => {
                opt.max_connections(POSTGRES_CONNECTIONS)
                    .map_sqlx_postgres_opts(|pg| {
                        pg.options([(
                            "statement_timeout",
                            format!("{}ms", STATEMENT_TIMEOUT.as_millis()),
                        )])
                    });
            }
            Target::SqliteFile(_) => {
                opt.max_connections(SQLITE_FILE_CONNECTIONS);
            }
            Target::SqliteMemory => {
                // Each connection to `:memory:` is its own database, so keep
                // exactly one and never let the pool retire it.
                opt.max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
        }
        if !matches!(self, Target::Postgres) {
            opt.map_sqlx_sqlite_opts(sqlite_pragmas);
        }
        opt
    }

    /// PostgreSQL: one connection, without the statement timeout.
    fn migration_options(&self, url: &str) -> Option<ConnectOptions> {
        let Target::Postgres = self else { return None };
        let mut opt = ConnectOptions::new(url);
        opt.connect_timeout(POOL_TIMEOUT)
            .acquire_timeout(POOL_TIMEOUT)
            .max_connections(1)
            .sqlx_logging(true)
            .sqlx_logging_level(LevelFilter::Debug);
        Some(opt)
    }

    /// SeaORM's SQLite connector runs `SELECT sqlite_version()` even when lazy
    /// (feature `sqlite-use-returning-for-3_35`, forced on by sea-orm-migration's
    /// default sea-orm features), which opens the file. So the lazy SQLite pool
    /// is built here from the same settings; the check it skips only guards
    /// RETURNING support, which the bundled SQLite has.
    fn lazy_sqlite(&self, url: &str) -> Result<DatabaseConnection, DbErr> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?;
        let options = sqlite_pragmas(options)
            .log_statements(LevelFilter::Debug)
            .log_slow_statements(LevelFilter::Warn, SLOW_STATEMENT);
        let pool = self
            .options(url, true)
            .sqlx_pool_options::<Sqlite>()
            .connect_lazy_with(options);
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    }
}

/// Pragmas are per connection, so they go on every connection the pool opens.
/// WAL with `synchronous = NORMAL`: a commit is in the log before it returns,
/// so it survives a crash of Sybil; only a power loss or kernel crash can
/// roll back the last commits (never corrupt the file). `FULL` would add an
/// fsync, milliseconds on common disks, to every write.
fn sqlite_pragmas(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
}

impl SeaOrmStorage {
    /// Opens the pool and checks one connection. For a SQLite file the parent
    /// folder is created when missing (`mode=rwc` creates only the file).
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be reached within 5 s,
    /// `Internal` for a bad URL or a folder that cannot be created.
    pub async fn connect(url: &str) -> Result<SeaOrmStorage, StorageError> {
        let redactor = Redactor::from_url(url);
        let target = Target::parse(url, &redactor)?;
        if let Target::SqliteFile(path) = &target {
            create_parent_dir(path)?;
        }
        let db = Database::connect(target.options(url, false))
            .await
            .map_err(|e| match (&target, redactor.map(e)) {
                (Target::Postgres, StorageError::Unavailable(why)) => {
                    StorageError::Unavailable(format!(
                        "cannot reach PostgreSQL at {}: {why}",
                        postgres_address(url)
                    ))
                }
                (_, err) => err,
            })?;
        let migrations = target.migration_options(url);
        Ok(SeaOrmStorage::new(db, redactor, migrations))
    }

    fn new(
        db: DatabaseConnection,
        redactor: Redactor,
        migrations: Option<ConnectOptions>,
    ) -> SeaOrmStorage {
        let writers =
            (db.get_database_backend() == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        SeaOrmStorage {
            db,
            redactor,
            writers,
            migrations,
            signals: Arc::default(),
        }
    }

    /// Builds the pool without opening any connection, file or folder: the
    /// first query does. For commands that never query (printing the spec).
    /// Must be called inside a Tokio runtime (the pool spawns its reaper task).
    ///
    /// # Errors
    /// `Internal` for a bad URL.
    pub fn connect_lazy(url: &str) -> Result<SeaOrmStorage, StorageError> {
        let redactor = Redactor::from_url(url);
        let target = Target::parse(url, &redactor)?;
        let db = match target {
            Target::Postgres => ready_now(Database::connect(target.options(url, true))),
            Target::SqliteFile(_) | Target::SqliteMemory => target.lazy_sqlite(url),
        }
        .map_err(|e| redactor.map(e))?;
        let migrations = target.migration_options(url);
        Ok(SeaOrmStorage::new(db, redactor, migrations))
    }

    /// Applies every pending migration; applied ones are skipped.
    ///
    /// # Errors
    /// `StorageError` when a migration or the database fails.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let Some(options) = &self.migrations else {
            return Migrator::up(&self.db, None)
                .await
                .map_err(|e| self.redactor.map(e));
        };
        let db = Database::connect(options.clone())
            .await
            .map_err(|e| self.redactor.map(e))?;
        let migrated = Migrator::up(&db, None).await;
        let _ = db.close().await;
        migrated.map_err(|e| self.redactor.map(e))
    }

    /// Closes every pooled connection (a SQLite file gets its WAL checkpointed).
    ///
    /// # Errors
    /// `StorageError` when closing fails.
    pub async fn close(self) -> Result<(), StorageError> {
        self.db.close().await.map_err(|e| self.redactor.map(e))
    }

    pub(crate) async fn select_one(&self) -> Result<(), DbErr> {
        let backend = self.db.get_database_backend();
        self.db
            .execute_raw(Statement::from_string(backend, "SELECT 1"))
            .await
            .map(|_| ())
    }
}

/// `host:port` of a PostgreSQL URL (already parsed by `Target::parse`), for
/// saying which server could not be reached; never the user or password.
fn postgres_address(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(options) if options.get_host().contains(':') => {
            format!("[{}]:{}", options.get_host(), options.get_port())
        }
        Ok(options) => format!("{}:{}", options.get_host(), options.get_port()),
        Err(_) => "the configured address".into(),
    }
}

fn create_parent_dir(path: &std::path::Path) -> Result<(), StorageError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            StorageError::Internal(format!(
                "cannot create database folder {}: {e}",
                dir.display()
            ))
        }),
        _ => Ok(()),
    }
}

/// A lazy connect does no I/O, so its future is ready on the first poll; if a
/// SeaORM upgrade ever made it wait, fail loudly instead of blocking.
fn ready_now<T>(fut: impl Future<Output = Result<T, DbErr>>) -> Result<T, DbErr> {
    let fut = pin!(fut);
    match fut.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(DbErr::Custom(
            "lazy connect unexpectedly waited for I/O".into(),
        )),
    }
}
