//! The admin's user routes (§4.4): create, list, change.

use sybil_domain::account::{NewAccount, User, fields};
use sybil_domain::pagination::{decode_cursor, encode_cursor, page_limit};
use sybil_ports::inbound::{AccountError, Caller, EditUser, NewUser, UserPage};
use sybil_ports::outbound::{AccountWriteError, TakenField, UserChange, UserUpdate};
use uuid::Uuid;

use super::AccountService;

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 100;

fn require_admin(caller: &Caller) -> Result<(), AccountError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(AccountError::Forbidden(
            "this route needs the admin role".into(),
        ))
    }
}

pub(super) fn taken(field: TakenField) -> AccountError {
    let (field, message) = match field {
        TakenField::Email => ("email", "email is already taken"),
        TakenField::Username => ("username", "username is already taken"),
    };
    AccountError::Conflict {
        message: message.into(),
        field: Some(field),
    }
}

impl AccountService {
    pub(super) async fn admin_create(
        &self,
        caller: &Caller,
        new: NewUser,
    ) -> Result<User, AccountError> {
        require_admin(caller)?;
        let account = NewAccount::check(
            &new.email,
            &new.username,
            &new.password,
            new.display_name.as_deref(),
            new.roles.as_deref(),
        )?;
        let now = self.now();
        let user = User {
            id: self.deps.ids.new_id(),
            email: account.email,
            username: account.username,
            display_name: account.display_name,
            roles: account.roles,
            disabled: false,
            password_hash: Some(self.deps.passwords.hash(new.password).await),
            created_at: now,
            roles_changed_at: now,
            memberships_changed_at: now,
            last_seen_at: None,
        };
        match self.deps.store.create_user(&user).await {
            Ok(()) => Ok(user),
            Err(AccountWriteError::Taken(field)) => Err(taken(field)),
            Err(AccountWriteError::Storage(e)) => Err(e.into()),
        }
    }

    pub(super) async fn admin_list(
        &self,
        caller: &Caller,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> Result<UserPage, AccountError> {
        require_admin(caller)?;
        let after = cursor.as_deref().map(decode_cursor).transpose()?;
        let limit = page_limit(limit, DEFAULT_PAGE, MAX_PAGE);
        let users = self.deps.store.list_users(after, limit).await?;
        let next_cursor = (users.len() as u64 == limit)
            .then(|| users.last().map(|u| encode_cursor(u.created_at, u.id)))
            .flatten();
        Ok(UserPage { users, next_cursor })
    }

    pub(super) async fn admin_update(
        &self,
        caller: &Caller,
        id: Uuid,
        edit: EditUser,
    ) -> Result<User, AccountError> {
        require_admin(caller)?;
        let change = UserChange {
            display_name: edit
                .display_name
                .as_deref()
                .map(|name| fields::display_name(Some(name)))
                .transpose()?,
            roles: edit
                .roles
                .as_deref()
                .map(|roles| fields::roles(Some(roles)))
                .transpose()?,
            disabled: edit.disabled,
        };
        match self.deps.store.update_user(id, &change, self.now()).await? {
            UserUpdate::Updated(user) => Ok(user),
            UserUpdate::NotFound => Err(AccountError::NotFound("user")),
            UserUpdate::LastAdmin => Err(AccountError::Conflict {
                message: "at least one active admin must remain".into(),
                field: None,
            }),
        }
    }
}
