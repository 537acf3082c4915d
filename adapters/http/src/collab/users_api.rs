//! `/api/admin/users` (§4.4): onboarding without OAuth.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sybil_ports::inbound::{AccountUseCases, Caller, EditUser, NewUser};
use uuid::Uuid;

use super::CollabTags;
use super::dto::{AdminUser, CreateUserRequest, UpdateUserRequest, UserList, roles_in};
use super::params::int_param;
use super::problem::Problem;
use super::request_body::ApiJson;

pub struct UsersApi {
    pub accounts: Arc<dyn AccountUseCases>,
}

#[derive(ApiResponse)]
enum Created {
    /// The new account.
    #[oai(status = 201)]
    User(Json<AdminUser>),
}

#[OpenApi(tag = "CollabTags::AdminUsers")]
impl UsersApi {
    /// Create an account
    #[oai(path = "/api/admin/users", method = "post")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        body: ApiJson<CreateUserRequest>,
    ) -> Result<Created, Problem> {
        let CreateUserRequest {
            email,
            username,
            password,
            display_name,
            roles,
        } = body.0;
        let new = NewUser {
            email,
            username,
            password,
            display_name,
            roles: roles_in(roles),
        };
        let user = self.accounts.create_user(&caller, new).await?;
        Ok(Created::User(Json((&user).into())))
    }

    /// List accounts
    ///
    /// Oldest first; `next_cursor` when the page is full (`limit` 50 by default, at most 100).
    #[oai(path = "/api/admin/users", method = "get")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        cursor: Query<Option<String>>,
        limit: Query<Option<String>>,
    ) -> Result<Json<UserList>, Problem> {
        let limit = int_param("limit", limit.0.as_deref())?;
        let page = self.accounts.list_users(&caller, cursor.0, limit).await?;
        Ok(Json(UserList {
            users: page.users.iter().map(AdminUser::from).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Change an account
    ///
    /// Display name (`""` clears it), roles, disabled. A disabled account's
    /// sessions answer 423 at their next request.
    #[oai(path = "/api/admin/users/:user_id", method = "patch")]
    async fn update(
        &self,
        caller: Data<&Caller>,
        user_id: Path<String>,
        body: ApiJson<UpdateUserRequest>,
    ) -> Result<Json<AdminUser>, Problem> {
        let id = Uuid::parse_str(&user_id)
            .map_err(|_| Problem::validation("user_id", "user_id must be a UUID"))?;
        let UpdateUserRequest {
            display_name,
            roles,
            disabled,
        } = body.0;
        let edit = EditUser {
            display_name,
            roles: roles_in(roles),
            disabled,
        };
        let user = self.accounts.update_user(&caller, id, edit).await?;
        Ok(Json((&user).into()))
    }
}
