//! The admin's user routes (§4.4): create, list, change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sybil_domain::Timestamp;
use sybil_domain::account::{FieldError, NewAccount, User, fields};
use sybil_domain::pagination::page_limit;
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

/// The opaque cursor of the last account on a page: `created_at:id`.
fn encode_cursor(user: &User) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", user.created_at.millis(), user.id))
}

fn decode_cursor(text: &str) -> Result<(Timestamp, Uuid), AccountError> {
    let bad = || {
        FieldError::new(
            "cursor",
            "cursor must be a next_cursor this server returned",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((Timestamp(at), id))
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
            .then(|| users.last().map(encode_cursor))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let id = Uuid::now_v7();
        let user = User {
            id,
            email: "a@b".into(),
            username: "a".into(),
            display_name: None,
            roles: sybil_domain::account::Roles::member(),
            disabled: false,
            password_hash: None,
            created_at: Timestamp(42),
            roles_changed_at: Timestamp(42),
            memberships_changed_at: Timestamp(42),
            last_seen_at: None,
        };
        assert_eq!(
            decode_cursor(&encode_cursor(&user)).unwrap(),
            (Timestamp(42), id)
        );
        for bad in ["", "!!", "MTI", &URL_SAFE_NO_PAD.encode("x:y")] {
            assert!(matches!(
                decode_cursor(bad),
                Err(AccountError::Invalid(FieldError {
                    field: "cursor",
                    ..
                }))
            ));
        }
    }
}
