//! Tests tied to one backend or to connecting: SQLite schema and files, unreachable servers.

mod network;

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sybil_domain::Role;
use sybil_ports::outbound::{ChatRepository, StorageError};
use sybil_storage::SeaOrmStorage;

use crate::support::{chat_at, message, raw, sqlite, temp_path};

async fn sqlite_text(db: &crate::support::TestDb, sql: &str) -> String {
    let conn = raw(db).await;
    let row = conn
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<String>(0).expect("text column")
}

#[tokio::test]
async fn sqlite_message_seq_is_an_autoincrement_rowid() {
    let db = sqlite().await;
    let sql = sqlite_text(&db, "SELECT sql FROM sqlite_master WHERE name = 'messages'").await;
    assert!(
        sql.contains(r#""seq" integer NOT NULL PRIMARY KEY AUTOINCREMENT"#),
        "{sql}"
    );
    assert!(sql.contains("ON DELETE CASCADE"), "{sql}");
}

#[tokio::test]
async fn sqlite_file_is_in_wal_mode() {
    let db = sqlite().await;
    assert_eq!(sqlite_text(&db, "PRAGMA journal_mode").await, "wal");
}

#[tokio::test]
async fn connect_creates_a_missing_nested_folder() {
    let root = temp_path("nested");
    let file = root.join("a").join("b").join("sybil.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let storage = SeaOrmStorage::connect(&url).await.expect("connect");
    storage.migrate().await.expect("migrate");
    assert!(file.is_file());
    storage.close().await.unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn connect_lazy_touches_no_disk_until_used() {
    let root = temp_path("lazy");
    let url = format!("sqlite://{}?mode=rwc", root.join("sybil.db").display());
    let storage = SeaOrmStorage::connect_lazy(&url).expect("lazy connect");
    assert!(!root.exists());
    drop(storage);
    assert!(!root.exists());
}

#[tokio::test]
async fn lazy_sqlite_works_on_first_use_with_the_same_settings() {
    let root = temp_path("lazy-use");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("sybil.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let storage = SeaOrmStorage::connect_lazy(&url).expect("lazy connect");
    assert!(!file.exists());
    storage.migrate().await.expect("migrate");
    storage.ping().await.expect("ping");
    storage.close().await.unwrap();
    let conn = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "wal");
    conn.close().await.unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data() {
    let storage = SeaOrmStorage::connect("sqlite::memory:").await.unwrap();
    storage.migrate().await.unwrap();
    let chat = chat_at(3);
    storage
        .create_chat(&chat, &[message(Role::User, "hi", 3)])
        .await
        .unwrap();
    let loaded = storage.load_chat(chat.id).await.unwrap().unwrap();
    assert_eq!(loaded.messages.len(), 1);
    assert_eq!(storage.list_chats().await.unwrap(), vec![chat]);
}

/// Port 1 on loopback refuses connections: the pool gives up after its 5 s
/// timeout with `Unavailable`, and the password never shows.
#[tokio::test]
async fn unreachable_postgres_is_unavailable_and_the_password_stays_hidden() {
    let url = "postgres://sybil:s3cr3t-pw@127.0.0.1:1/sybil";
    let started = Instant::now();
    let err = SeaOrmStorage::connect(url).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, StorageError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("s3cr3t-pw"), "{err}");
}

#[tokio::test]
async fn lazy_postgres_fails_on_first_use_not_before() {
    let storage = SeaOrmStorage::connect_lazy("postgres://sybil:s3cr3t-pw@127.0.0.1:1/sybil")
        .expect("lazy connect does no I/O");
    let err = storage.ping().await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("s3cr3t-pw"), "{err}");
    assert!(!format!("{storage:?}").contains("s3cr3t-pw"));
}

#[tokio::test]
async fn unparsable_urls_are_internal_errors_without_the_password() {
    for url in [
        "mysql://u:s3cr3t-pw@h/db",
        "postgres://u:s3cr3t-pw@h:notaport/db",
    ] {
        let err = SeaOrmStorage::connect(url).await.unwrap_err();
        assert!(!err.to_string().contains("s3cr3t-pw"), "{err}");
        if url.starts_with("mysql") {
            assert!(matches!(err, StorageError::Internal(_)), "{err:?}");
        }
    }
}
