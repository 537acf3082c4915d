//! Sessions and OAuth states on SeaORM: the rows behind `AccountStore`'s
//! session methods.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sybil_domain::Timestamp;
use sybil_domain::account::{OAuthProvider, Session, SessionTimes};
use sybil_ports::outbound::{StorageError, StoredSession};
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::{oauth_states, sessions};

fn session_from_row(row: sessions::Model) -> StoredSession {
    StoredSession {
        session: Session {
            id: row.id,
            user_id: row.user_id,
            times: SessionTimes {
                issued_at: Timestamp(row.issued_at),
                expires_at: Timestamp(row.expires_at),
                absolute_expires_at: Timestamp(row.absolute_expires_at),
            },
            revoked: row.revoked,
            grace_until: row.grace_until.map(Timestamp),
            predecessor: row.predecessor_id,
            successor: row.successor_id,
        },
        token_digest: row.token_digest,
        csrf_digest: row.csrf_digest,
    }
}

fn session_row(stored: &StoredSession) -> sessions::ActiveModel {
    let s = &stored.session;
    sessions::ActiveModel {
        id: Set(s.id),
        user_id: Set(s.user_id),
        token_digest: Set(stored.token_digest.clone()),
        csrf_digest: Set(stored.csrf_digest.clone()),
        issued_at: Set(s.times.issued_at.millis()),
        expires_at: Set(s.times.expires_at.millis()),
        absolute_expires_at: Set(s.times.absolute_expires_at.millis()),
        revoked: Set(s.revoked),
        grace_until: Set(s.grace_until.map(Timestamp::millis)),
        predecessor_id: Set(s.predecessor),
        successor_id: Set(s.successor),
    }
}

impl SeaOrmStorage {
    pub(crate) async fn insert_session_row(
        &self,
        stored: &StoredSession,
    ) -> Result<(), StorageError> {
        let _turn = self.write_turn().await;
        sessions::Entity::insert(session_row(stored))
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    pub(crate) async fn session_by_digest(
        &self,
        digest: &str,
    ) -> Result<Option<StoredSession>, StorageError> {
        let row = sessions::Entity::find()
            .filter(sessions::Column::TokenDigest.eq(digest))
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(row.map(session_from_row))
    }

    pub(crate) async fn session_by_id(
        &self,
        id: Uuid,
    ) -> Result<Option<StoredSession>, StorageError> {
        let row = sessions::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(row.map(session_from_row))
    }

    pub(crate) async fn rotate_session_rows(
        &self,
        old: Uuid,
        grace_until: Timestamp,
        new: &StoredSession,
    ) -> Result<bool, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        // Only one of concurrent rotations of the same session wins.
        let marked = sessions::Entity::update_many()
            .col_expr(
                sessions::Column::GraceUntil,
                Expr::value(grace_until.millis()),
            )
            .col_expr(sessions::Column::SuccessorId, Expr::value(new.session.id))
            .filter(sessions::Column::Id.eq(old))
            .filter(sessions::Column::Revoked.eq(false))
            .filter(sessions::Column::GraceUntil.is_null())
            .exec(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        if marked.rows_affected == 0 {
            self.rollback(txn).await?;
            return Ok(false);
        }
        sessions::Entity::insert(session_row(new))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        self.commit(txn).await?;
        Ok(true)
    }

    pub(crate) async fn revoke_session_rows(&self, ids: &[Uuid]) -> Result<(), StorageError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _turn = self.write_turn().await;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::Revoked, Expr::value(true))
            .filter(sessions::Column::Id.is_in(ids.iter().copied()))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    pub(crate) async fn insert_state_row(
        &self,
        digest: &str,
        provider: OAuthProvider,
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        let _turn = self.write_turn().await;
        let row = oauth_states::ActiveModel {
            digest: Set(digest.to_string()),
            provider: Set(provider.as_str().to_string()),
            expires_at: Set(expires_at.millis()),
        };
        oauth_states::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    /// Deletes the state (whatever it was) and says whether it was usable;
    /// states past their time are swept on the way.
    pub(crate) async fn consume_state_row(
        &self,
        digest: &str,
        provider: OAuthProvider,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let _turn = self.write_turn().await;
        let used = oauth_states::Entity::delete_many()
            .filter(oauth_states::Column::Digest.eq(digest))
            .filter(oauth_states::Column::Provider.eq(provider.as_str()))
            .filter(oauth_states::Column::ExpiresAt.gt(now.millis()))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        oauth_states::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(oauth_states::Column::Digest.eq(digest))
                    .add(oauth_states::Column::ExpiresAt.lte(now.millis())),
            )
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(used.rows_affected > 0)
    }
}
