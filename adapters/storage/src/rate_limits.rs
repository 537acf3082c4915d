//! `RateLimitStore` on SeaORM: profiles, unique by lower-cased name, and
//! their assignments to routes, unique by method and pattern. Plain SQL
//! with `$n` parameters, as in `conversations/`. Each change is one write
//! transaction that wakes `Topic::RateLimits` as it commits, so every
//! process reloads its limit table.

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult, SqlErr, Statement, Value,
};
use sybil_domain::Timestamp;
use sybil_domain::rate_limit::profile::ALGORITHM;
use sybil_domain::rate_limit::{Assignment, Gcra, PathPattern, Profile};
use sybil_ports::outbound::{
    Assigned, NewAssignment, ProfileDeletion, RateLimitStore, StorageError, Topic,
};
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::columns::{corrupt, count, get};

const PROFILE_COLUMNS: &str =
    "id, name, requests_per_second, burst, description, created_at, updated_at";

const ASSIGNMENTS: &str = "SELECT a.id, a.profile_id, p.name AS profile_name, a.method, \
     a.path_pattern, a.created_at, a.updated_at \
     FROM rate_limit_assignments a JOIN rate_limit_profiles p ON p.id = a.profile_id";

fn profile_row(row: &QueryResult) -> Result<Profile, StorageError> {
    let id: Uuid = get(row, "id")?;
    let burst: i64 = get(row, "burst")?;
    Ok(Profile {
        id,
        name: get(row, "name")?,
        params: Gcra {
            requests_per_second: get(row, "requests_per_second")?,
            burst: u32::try_from(burst)
                .map_err(|_| corrupt(format!("profile {id} has the burst {burst}")))?,
        },
        description: get(row, "description")?,
        created_at: Timestamp(get(row, "created_at")?),
        updated_at: Timestamp(get(row, "updated_at")?),
    })
}

fn assignment_row(row: &QueryResult) -> Result<Assignment, StorageError> {
    let pattern: String = get(row, "path_pattern")?;
    Ok(Assignment {
        id: get(row, "id")?,
        profile_id: get(row, "profile_id")?,
        profile_name: get(row, "profile_name")?,
        method: get(row, "method")?,
        pattern: PathPattern::stored(&pattern),
        created_at: Timestamp(get(row, "created_at")?),
        updated_at: Timestamp(get(row, "updated_at")?),
    })
}

/// The statements whose constraint failures are answers, not errors, run
/// through this so that the `DbErr` can still be read.
fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

impl SeaOrmStorage {
    /// Commits a change that touched a row, waking every process; rolls
    /// back one that touched none. Whether it touched one.
    async fn finish_change(
        &self,
        txn: DatabaseTransaction,
        changed: bool,
    ) -> Result<bool, StorageError> {
        if changed {
            self.commit_waking(txn, &[Topic::RateLimits]).await?;
        } else {
            self.rollback(txn).await?;
        }
        Ok(changed)
    }

    async fn assignment_count(
        &self,
        db: &impl ConnectionTrait,
        profile: Uuid,
    ) -> Result<u64, StorageError> {
        let row = self
            .row(
                db,
                "SELECT COUNT(*) AS n FROM rate_limit_assignments WHERE profile_id = $1",
                vec![profile.into()],
            )
            .await?
            .ok_or_else(|| corrupt("COUNT(*) returned no row"))?;
        count(&row, "n")
    }

    /// Whether the profile exists, locking it on PostgreSQL until `txn`
    /// ends. An assignment's foreign-key check takes a share lock on it, so
    /// an `assign` already inserting makes this wait and its row is then
    /// counted, and a later one waits for this transaction and finds the
    /// profile gone. SQLite's write transaction already excludes every
    /// other writer.
    async fn lock_profile(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
    ) -> Result<bool, StorageError> {
        let lock = match txn.get_database_backend() {
            DbBackend::Postgres => " FOR UPDATE",
            _ => "",
        };
        let sql = format!("SELECT id FROM rate_limit_profiles WHERE id = $1{lock}");
        Ok(self.row(txn, &sql, vec![id.into()]).await?.is_some())
    }
}

#[async_trait]
impl RateLimitStore for SeaOrmStorage {
    async fn profiles(&self) -> Result<Vec<Profile>, StorageError> {
        // `name_key` is unique, so this order is total.
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM rate_limit_profiles ORDER BY name_key");
        let rows = self.rows(&self.db, &sql, vec![]).await?;
        rows.iter().map(profile_row).collect()
    }

    async fn profile(&self, id: Uuid) -> Result<Option<Profile>, StorageError> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM rate_limit_profiles WHERE id = $1");
        self.row(&self.db, &sql, vec![id.into()])
            .await?
            .as_ref()
            .map(profile_row)
            .transpose()
    }

    async fn create_profile(&self, profile: &Profile) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        // The unique `name_key` decides, concurrent creations included: the
        // second of two waits for the first and then inserts nothing.
        let inserted = self
            .run(
                &txn,
                "INSERT INTO rate_limit_profiles (id, name, name_key, algorithm, \
                 requests_per_second, burst, description, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (name_key) DO NOTHING",
                vec![
                    profile.id.into(),
                    profile.name.clone().into(),
                    profile.name.to_lowercase().into(),
                    ALGORITHM.into(),
                    profile.params.requests_per_second.into(),
                    i64::from(profile.params.burst).into(),
                    profile.description.clone().into(),
                    profile.created_at.millis().into(),
                    profile.updated_at.millis().into(),
                ],
            )
            .await?;
        self.finish_change(txn, inserted > 0).await
    }

    async fn update_profile(&self, profile: &Profile) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let updated = self
            .run(
                &txn,
                "UPDATE rate_limit_profiles SET requests_per_second = $2, burst = $3, \
                 description = $4, updated_at = $5 WHERE id = $1",
                vec![
                    profile.id.into(),
                    profile.params.requests_per_second.into(),
                    i64::from(profile.params.burst).into(),
                    profile.description.clone().into(),
                    profile.updated_at.millis().into(),
                ],
            )
            .await?;
        self.finish_change(txn, updated > 0).await
    }

    async fn delete_profile(&self, id: Uuid) -> Result<ProfileDeletion, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        if !self.lock_profile(&txn, id).await? {
            self.rollback(txn).await?;
            return Ok(ProfileDeletion::NotFound);
        }
        let assigned = self.assignment_count(&txn, id).await?;
        if assigned > 0 {
            self.rollback(txn).await?;
            return Ok(ProfileDeletion::Assigned(assigned));
        }
        let delete = statement(
            &txn,
            "DELETE FROM rate_limit_profiles WHERE id = $1",
            vec![id.into()],
        );
        match txn.execute_raw(delete).await {
            Ok(_) => {}
            // The foreign key's RESTRICT is the backstop against an
            // assignment that got in all the same.
            Err(e) if is_foreign_key_violation(&e) => {
                self.rollback(txn).await?;
                let assigned = self.assignment_count(&self.db, id).await?;
                return Ok(ProfileDeletion::Assigned(assigned.max(1)));
            }
            Err(e) => return Err(self.fail(e)),
        }
        self.commit_waking(txn, &[Topic::RateLimits]).await?;
        Ok(ProfileDeletion::Deleted)
    }

    async fn assignments(&self) -> Result<Vec<Assignment>, StorageError> {
        // (method, path_pattern) is unique, so this order is total.
        let sql = format!("{ASSIGNMENTS} ORDER BY a.method, a.path_pattern");
        let rows = self.rows(&self.db, &sql, vec![]).await?;
        rows.iter().map(assignment_row).collect()
    }

    async fn assign(&self, new: &NewAssignment) -> Result<Assigned, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let profile = self
            .row(
                &txn,
                "SELECT name FROM rate_limit_profiles WHERE id = $1",
                vec![new.profile_id.into()],
            )
            .await?;
        let Some(profile) = profile else {
            self.rollback(txn).await?;
            return Ok(Assigned::NoProfile);
        };
        let profile_name: String = get(&profile, "name")?;
        // One statement, so that of two identical concurrent assignments
        // one inserts and the other, waiting on the unique index, re-points
        // the row the first made (keeping its id and `created_at`).
        let upsert = statement(
            &txn,
            "INSERT INTO rate_limit_assignments \
             (id, profile_id, method, path_pattern, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (method, path_pattern) DO UPDATE \
             SET profile_id = excluded.profile_id, updated_at = excluded.updated_at \
             RETURNING id, created_at",
            vec![
                new.id.into(),
                new.profile_id.into(),
                new.method.clone().into(),
                new.pattern.as_str().into(),
                new.now.millis().into(),
            ],
        );
        let stored = match txn.query_one_raw(upsert).await {
            Ok(Some(row)) => row,
            Ok(None) => return Err(corrupt("the assignment upsert returned no row")),
            // PostgreSQL: the profile was deleted since it was read.
            Err(e) if is_foreign_key_violation(&e) => {
                self.rollback(txn).await?;
                return Ok(Assigned::NoProfile);
            }
            Err(e) => return Err(self.fail(e)),
        };
        let assignment = Assignment {
            id: get(&stored, "id")?,
            profile_id: new.profile_id,
            profile_name,
            method: new.method.clone(),
            pattern: new.pattern.clone(),
            created_at: Timestamp(get(&stored, "created_at")?),
            updated_at: new.now,
        };
        self.commit_waking(txn, &[Topic::RateLimits]).await?;
        Ok(if assignment.id == new.id {
            Assigned::Created(assignment)
        } else {
            Assigned::Repointed(assignment)
        })
    }

    async fn unassign(&self, id: Uuid) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let deleted = self
            .run(
                &txn,
                "DELETE FROM rate_limit_assignments WHERE id = $1",
                vec![id.into()],
            )
            .await?;
        self.finish_change(txn, deleted > 0).await
    }
}
