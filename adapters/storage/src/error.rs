//! Translates `DbErr` into the port's `StorageError`, scrubbing the URL's password from messages.

use sea_orm::sqlx::postgres::PgDatabaseError;
use sea_orm::sqlx::sqlite::SqliteError;
use sea_orm::{DbErr, RuntimeErr, sqlx};
use sybil_ports::outbound::StorageError;

const MASK: &str = "***";

/// Knows the secrets of one database URL and keeps them out of error messages
/// (SeaORM quotes the whole URL when it cannot parse it).
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn from_url(url: &str) -> Self {
        let mut secrets = Vec::new();
        let mut add = |raw: &str| {
            for secret in [raw.to_string(), percent_decode(raw)] {
                if !secret.is_empty() && !secrets.contains(&secret) {
                    secrets.push(secret);
                }
            }
        };
        if let Some(password) = userinfo_password(url) {
            add(password);
        }
        // libpq-style URLs may also carry `?password=…`.
        if let Some((_, query)) = url.split_once('?') {
            for pair in query.split('&') {
                if let Some(("password", value)) = pair.split_once('=') {
                    add(value);
                }
            }
        }
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |acc, secret| {
            acc.replace(secret.as_str(), MASK)
        })
    }

    pub(crate) fn map(&self, err: DbErr) -> StorageError {
        let message = self.scrub(&err.to_string());
        if is_unavailable(&err) {
            StorageError::Unavailable(message)
        } else {
            StorageError::Internal(message)
        }
    }
}

fn userinfo_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the failure means "the database could not be reached in time"
/// (answered 503) rather than a bug or a bad row (answered 500).
fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                // Class 08: connection exception; 53300: too many connections;
                // 57P01-57P03: the server is shutting down or starting up.
                let code = pg.code();
                code.starts_with("08") || matches!(code, "53300" | "57P01" | "57P02" | "57P03")
            } else if db.try_downcast_ref::<SqliteError>().is_some() {
                // SQLITE_BUSY / SQLITE_LOCKED (any extended code): the 5 s busy
                // timeout ran out waiting for another writer, like a pool timeout.
                db.code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                false
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_raw_and_decoded() {
        let r = Redactor::from_url("postgres://app:p%40ss@db:5432/sybil?password=other");
        assert_eq!(r.scrub("x p%40ss p@ss other y"), "x *** *** *** y");
    }

    #[test]
    fn urls_without_password_mask_nothing() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "sqlite://data/sybil.db?mode=rwc",
            "sqlite::memory:",
            "postgres://user:@host/db",
        ] {
            assert_eq!(Redactor::from_url(url).scrub(url), url);
        }
    }

    #[test]
    fn a_slash_in_the_path_does_not_count_as_userinfo() {
        let r = Redactor::from_url("postgres://host/db?x=a:b@c");
        assert_eq!(r.scrub("a:b@c"), "a:b@c");
    }

    #[test]
    fn pool_and_connection_errors_are_unavailable() {
        let r = Redactor::default();
        assert!(matches!(
            r.map(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)),
            StorageError::Unavailable(_)
        ));
        let io = sqlx::Error::Io(std::io::Error::other("refused"));
        assert!(matches!(
            r.map(DbErr::Query(RuntimeErr::SqlxError(io.into()))),
            StorageError::Unavailable(_)
        ));
        assert!(matches!(
            r.map(DbErr::RecordNotFound("x".into())),
            StorageError::Internal(_)
        ));
    }
}
