//! The `/api` account shapes (§2.1), snake_case as RustyGPT's clients read them.

use poem_openapi::{Enum, Object};
use serde::Deserialize;
use sybil_domain::account::{Session, User, UserRole};

use sybil_wire::time::iso;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum UserRoleDto {
    Admin,
    Member,
    ReadOnly,
}

impl From<UserRoleDto> for UserRole {
    fn from(r: UserRoleDto) -> UserRole {
        match r {
            UserRoleDto::Admin => UserRole::Admin,
            UserRoleDto::Member => UserRole::Member,
            UserRoleDto::ReadOnly => UserRole::ReadOnly,
        }
    }
}

impl From<UserRole> for UserRoleDto {
    fn from(r: UserRole) -> UserRoleDto {
        match r {
            UserRole::Admin => UserRoleDto::Admin,
            UserRole::Member => UserRoleDto::Member,
            UserRole::ReadOnly => UserRoleDto::ReadOnly,
        }
    }
}

pub fn roles_in(list: Option<Vec<UserRoleDto>>) -> Option<Vec<UserRole>> {
    list.map(|l| l.into_iter().map(UserRole::from).collect())
}

fn roles_out(user: &User) -> Vec<UserRoleDto> {
    user.roles.as_slice().iter().map(|r| (*r).into()).collect()
}

#[derive(Debug, Object)]
pub struct AuthenticatedUser {
    pub id: String,
    pub email: String,
    pub username: String,
    #[oai(skip_serializing_if_is_none)]
    pub display_name: Option<String>,
    /// In the order `admin`, `member`, `read_only`.
    pub roles: Vec<UserRoleDto>,
}

impl From<&User> for AuthenticatedUser {
    fn from(u: &User) -> Self {
        AuthenticatedUser {
            id: u.id.to_string(),
            email: u.email.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: roles_out(u),
        }
    }
}

#[derive(Debug, Object)]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    pub username: String,
    #[oai(skip_serializing_if_is_none)]
    pub display_name: Option<String>,
    pub roles: Vec<UserRoleDto>,
    pub disabled: bool,
    /// RFC 3339, UTC, milliseconds.
    pub created_at: String,
}

impl From<&User> for AdminUser {
    fn from(u: &User) -> Self {
        AdminUser {
            id: u.id.to_string(),
            email: u.email.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: roles_out(u),
            disabled: u.disabled,
            created_at: iso(u.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct SessionSummary {
    /// The session; changes on rotation.
    pub id: String,
    pub issued_at: String,
    /// The idle deadline.
    pub expires_at: String,
    pub absolute_expires_at: String,
}

impl From<&Session> for SessionSummary {
    fn from(s: &Session) -> Self {
        SessionSummary {
            id: s.id.to_string(),
            issued_at: iso(s.times.issued_at),
            expires_at: iso(s.times.expires_at),
            absolute_expires_at: iso(s.times.absolute_expires_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct LoginResponse {
    pub user: AuthenticatedUser,
    pub session: SessionSummary,
    /// The `CSRF-TOKEN` cookie's value, for clients without cookie access.
    pub csrf_token: String,
}

#[derive(Debug, Object)]
pub struct MeResponse {
    pub user: AuthenticatedUser,
    pub session: SessionSummary,
}

#[derive(Debug, Object)]
pub struct SetupResponse {
    pub is_setup: bool,
}

#[derive(Debug, Object)]
pub struct OAuthInitResponse {
    pub auth_url: String,
}

#[derive(Debug, Object)]
pub struct OkResponse {
    pub ok: bool,
}

#[derive(Debug, Object)]
pub struct UserList {
    pub users: Vec<AdminUser>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object, Deserialize)]
pub struct SetupRequest {
    pub username: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Object, Deserialize)]
pub struct LoginRequest {
    /// An email, or (without `@`) a username.
    pub email: String,
    pub password: String,
}

#[derive(Debug, Object, Deserialize)]
pub struct CreateUserRequest {
    pub email: String,
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    /// Default `["member"]`.
    pub roles: Option<Vec<UserRoleDto>>,
}

#[derive(Debug, Object, Deserialize)]
pub struct UpdateUserRequest {
    /// `""` clears it.
    pub display_name: Option<String>,
    pub roles: Option<Vec<UserRoleDto>>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Object, Deserialize)]
pub struct ManualOAuthRequest {
    pub code: Option<String>,
    /// RustyGPT's name for `code`.
    pub auth_code: Option<String>,
    pub state: Option<String>,
}

/// Apple's `form_post` return.
#[derive(Debug, Object, Deserialize)]
pub struct AppleCallbackForm {
    pub code: Option<String>,
    pub state: Option<String>,
    /// JSON with the name, sent on a first sign-in only.
    pub user: Option<String>,
    pub error: Option<String>,
}
