//! Path and query values of the `/api` routes.

use sybil_domain::Timestamp;
use sybil_domain::account::User;
use sybil_ports::inbound::{AccountError, Caller, SignedIn};
use sybil_wire::time::parse_iso;
use uuid::Uuid;

use super::problem::Problem;

/// The session the guard let through (routes that need one).
pub fn signed_in(caller: &Caller) -> Result<&SignedIn, Problem> {
    match caller {
        Caller::User(s) => Ok(s),
        _ => Err(AccountError::MissingSession.into()),
    }
}

/// The signed-in user the guard let through (routes for users).
pub fn user_of(caller: &Caller) -> Result<&User, Problem> {
    signed_in(caller).map(|s| &s.user)
}

/// An id in a path, or 400 naming the parameter.
pub fn path_id(name: &str, text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| Problem::validation(name, format!("{name} must be a UUID")))
}

/// An id in a body, or 422 naming the field.
pub fn body_id(field: &str, text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| {
        Problem::invalid_request(field, "invalid_value", format!("{field} must be a UUID"))
    })
}

/// An integer query value (`limit`, `from`), or 400 naming it.
pub fn int_param(name: &str, value: Option<&str>) -> Result<Option<i64>, Problem> {
    value
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Problem::validation(name, format!("{name} must be an integer")))
        })
        .transpose()
}

/// An RFC 3339 query value (`after`), or 400 naming it.
pub fn time_param(name: &str, value: Option<&str>) -> Result<Option<Timestamp>, Problem> {
    value
        .map(|v| {
            parse_iso(v).ok_or_else(|| {
                Problem::validation(name, format!("{name} must be an RFC 3339 timestamp"))
            })
        })
        .transpose()
}

/// `204 No Content` answers.
#[derive(poem_openapi::ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    Done,
}
