//! `AccountStore` on SeaORM: users (unique by lower-cased email and
//! username), outside identities, and the one-row lock that makes setup and
//! the last-admin rule safe against concurrent requests on any backend.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use sybil_domain::Timestamp;
use sybil_domain::account::{OAuthProvider, Roles, User};
use sybil_ports::outbound::{
    AccountStore, AccountWriteError, IdentityLink, StorageError, StoredSession, TakenField,
    UserChange, UserUpdate,
};
use uuid::Uuid;

use crate::SeaOrmStorage;
use crate::entity::{user_identities, users};

fn user_from_row(row: users::Model) -> Result<User, StorageError> {
    let roles = Roles::from_stored(&row.roles)
        .ok_or_else(|| StorageError::Internal(format!("user {} has unreadable roles", row.id)))?;
    Ok(User {
        id: row.id,
        email: row.email,
        username: row.username,
        display_name: row.display_name,
        roles,
        disabled: row.disabled,
        password_hash: row.password_hash,
        created_at: Timestamp(row.created_at),
        roles_changed_at: Timestamp(row.roles_changed_at),
        memberships_changed_at: Timestamp(row.memberships_changed_at),
        last_seen_at: row.last_seen_at.map(Timestamp),
    })
}

fn user_row(user: &User) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(user.id),
        email: Set(user.email.clone()),
        email_key: Set(user.email.to_lowercase()),
        username: Set(user.username.clone()),
        username_key: Set(user.username.to_lowercase()),
        display_name: Set(user.display_name.clone()),
        roles: Set(user.roles.to_stored()),
        disabled: Set(user.disabled),
        password_hash: Set(user.password_hash.clone()),
        created_at: Set(user.created_at.millis()),
        roles_changed_at: Set(user.roles_changed_at.millis()),
        memberships_changed_at: Set(user.memberships_changed_at.millis()),
        last_seen_at: Set(user.last_seen_at.map(Timestamp::millis)),
    }
}

/// Whether `roles` (stored form, sorted) holds `admin`, which sorts first.
const ADMIN_PREFIX: &str = "admin%";

impl SeaOrmStorage {
    /// A unique violation on email or username is `Taken`; anything else fails.
    fn write_error(&self, err: DbErr) -> AccountWriteError {
        if let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err() {
            if message.contains("username_key") {
                return AccountWriteError::Taken(TakenField::Username);
            }
            if message.contains("email_key") {
                return AccountWriteError::Taken(TakenField::Email);
            }
        }
        AccountWriteError::Storage(self.fail(err))
    }

    /// Takes the account lock row until `txn` ends (a row lock on
    /// PostgreSQL; SQLite's write lock is already whole-database).
    /// `only_before_setup` marks setup done, and says whether it was not.
    async fn lock_accounts(
        &self,
        txn: &DatabaseTransaction,
        only_before_setup: bool,
    ) -> Result<bool, StorageError> {
        let mut update = Query::update();
        update
            .table(Alias::new("account_lock"))
            .value(Alias::new("setup_done"), true)
            .and_where(Expr::col(Alias::new("id")).eq(1));
        if only_before_setup {
            update.and_where(Expr::col(Alias::new("setup_done")).eq(false));
        }
        let done = txn.execute(&update).await.map_err(|e| self.fail(e))?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_user(
        &self,
        txn: &DatabaseTransaction,
        user: &User,
    ) -> Result<(), AccountWriteError> {
        users::Entity::insert(user_row(user))
            .exec_without_returning(txn)
            .await
            .map(|_| ())
            .map_err(|e| self.write_error(e))
    }

    async fn find_user_by(
        &self,
        column: users::Column,
        key: &str,
    ) -> Result<Option<User>, StorageError> {
        users::Entity::find()
            .filter(column.eq(key.to_lowercase()))
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?
            .map(user_from_row)
            .transpose()
    }
}

#[async_trait]
impl AccountStore for SeaOrmStorage {
    async fn any_user(&self) -> Result<bool, StorageError> {
        let first = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(first.is_some())
    }

    async fn create_first_user(&self, user: &User) -> Result<bool, AccountWriteError> {
        let (txn, _turn) = self.begin_write().await?;
        // Concurrent setups queue on the lock row; the first marks it.
        if !self.lock_accounts(&txn, true).await? {
            self.rollback(txn).await?;
            return Ok(false);
        }
        let existing = users::Entity::find()
            .count(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        if existing > 0 {
            self.rollback(txn).await?;
            return Ok(false);
        }
        self.insert_user(&txn, user).await?;
        self.commit(txn).await?;
        Ok(true)
    }

    async fn create_user(&self, user: &User) -> Result<(), AccountWriteError> {
        let _turn = self.write_turn().await;
        users::Entity::insert(user_row(user))
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| self.write_error(e))
    }

    async fn create_user_with_identity(
        &self,
        user: &User,
        provider: OAuthProvider,
        subject: &str,
    ) -> Result<(), AccountWriteError> {
        let (txn, _turn) = self.begin_write().await?;
        self.insert_user(&txn, user).await?;
        let link = user_identities::ActiveModel {
            provider: Set(provider.as_str().to_string()),
            subject: Set(subject.to_string()),
            user_id: Set(user.id),
            created_at: Set(user.created_at.millis()),
        };
        user_identities::Entity::insert(link)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        self.commit(txn).await?;
        Ok(())
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        self.find_user_by(users::Column::EmailKey, email).await
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StorageError> {
        self.find_user_by(users::Column::UsernameKey, username)
            .await
    }

    async fn get_user(&self, id: Uuid) -> Result<Option<User>, StorageError> {
        users::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| self.fail(e))?
            .map(user_from_row)
            .transpose()
    }

    async fn list_users(
        &self,
        after: Option<(Timestamp, Uuid)>,
        limit: u64,
    ) -> Result<Vec<User>, StorageError> {
        let mut query = users::Entity::find()
            .order_by_asc(users::Column::CreatedAt)
            .order_by_asc(users::Column::Id)
            .limit(limit);
        if let Some((at, id)) = after {
            query = query.filter(
                Condition::any()
                    .add(users::Column::CreatedAt.gt(at.millis()))
                    .add(
                        Condition::all()
                            .add(users::Column::CreatedAt.eq(at.millis()))
                            .add(users::Column::Id.gt(id)),
                    ),
            );
        }
        let rows = query.all(&self.db).await.map_err(|e| self.fail(e))?;
        rows.into_iter().map(user_from_row).collect()
    }

    async fn update_user(
        &self,
        id: Uuid,
        change: &UserChange,
        now: Timestamp,
    ) -> Result<UserUpdate, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        // Two admins demoting each other at once must not both succeed.
        self.lock_accounts(&txn, false).await?;
        let Some(row) = users::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(|e| self.fail(e))?
        else {
            self.rollback(txn).await?;
            return Ok(UserUpdate::NotFound);
        };
        let mut user = user_from_row(row)?;
        let was_admin = user.is_active_admin();
        if let Some(name) = &change.display_name {
            user.display_name = name.clone();
        }
        if let Some(roles) = &change.roles
            && *roles != user.roles
        {
            user.roles = roles.clone();
            user.roles_changed_at = now;
        }
        if let Some(disabled) = change.disabled {
            user.disabled = disabled;
        }
        if was_admin && !user.is_active_admin() {
            let others = users::Entity::find()
                .filter(users::Column::Id.ne(id))
                .filter(users::Column::Disabled.eq(false))
                .filter(users::Column::Roles.like(ADMIN_PREFIX))
                .count(&txn)
                .await
                .map_err(|e| self.fail(e))?;
            if others == 0 {
                self.rollback(txn).await?;
                return Ok(UserUpdate::LastAdmin);
            }
        }
        users::Entity::update_many()
            .col_expr(
                users::Column::DisplayName,
                Expr::value(user.display_name.clone()),
            )
            .col_expr(users::Column::Roles, Expr::value(user.roles.to_stored()))
            .col_expr(
                users::Column::RolesChangedAt,
                Expr::value(user.roles_changed_at.millis()),
            )
            .col_expr(users::Column::Disabled, Expr::value(user.disabled))
            .filter(users::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(|e| self.fail(e))?;
        self.commit(txn).await?;
        Ok(UserUpdate::Updated(user))
    }

    async fn touch_user(&self, id: Uuid, now: Timestamp) -> Result<(), StorageError> {
        let _turn = self.write_turn().await;
        users::Entity::update_many()
            .col_expr(users::Column::LastSeenAt, Expr::value(now.millis()))
            .filter(users::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn insert_session(&self, session: &StoredSession) -> Result<(), StorageError> {
        self.insert_session_row(session).await
    }

    async fn find_session(
        &self,
        token_digest: &str,
    ) -> Result<Option<StoredSession>, StorageError> {
        self.session_by_digest(token_digest).await
    }

    async fn get_session(&self, id: Uuid) -> Result<Option<StoredSession>, StorageError> {
        self.session_by_id(id).await
    }

    async fn rotate_session(
        &self,
        old: Uuid,
        grace_until: Timestamp,
        new: &StoredSession,
    ) -> Result<bool, StorageError> {
        self.rotate_session_rows(old, grace_until, new).await
    }

    async fn revoke_sessions(&self, ids: &[Uuid]) -> Result<(), StorageError> {
        self.revoke_session_rows(ids).await
    }

    async fn insert_oauth_state(
        &self,
        digest: &str,
        provider: OAuthProvider,
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        self.insert_state_row(digest, provider, expires_at).await
    }

    async fn consume_oauth_state(
        &self,
        digest: &str,
        provider: OAuthProvider,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        self.consume_state_row(digest, provider, now).await
    }

    async fn find_identity(
        &self,
        provider: OAuthProvider,
        subject: &str,
    ) -> Result<Option<Uuid>, StorageError> {
        let row = user_identities::Entity::find_by_id((
            provider.as_str().to_string(),
            subject.to_string(),
        ))
        .one(&self.db)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(row.map(|r| r.user_id))
    }

    async fn link_identity(
        &self,
        user_id: Uuid,
        provider: OAuthProvider,
        subject: &str,
        now: Timestamp,
    ) -> Result<IdentityLink, StorageError> {
        let _turn = self.write_turn().await;
        let link = user_identities::ActiveModel {
            provider: Set(provider.as_str().to_string()),
            subject: Set(subject.to_string()),
            user_id: Set(user_id),
            created_at: Set(now.millis()),
        };
        match user_identities::Entity::insert(link)
            .exec_without_returning(&self.db)
            .await
        {
            Ok(_) => Ok(IdentityLink::Linked),
            // (user, provider) is unique: the account has another subject there.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(IdentityLink::OtherSubject)
            }
            Err(e) => Err(self.fail(e)),
        }
    }
}
