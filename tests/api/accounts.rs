//! `/api` accounts end to end (COLLAB-API.md §3, §4.1–§4.4), each case on
//! SQLite and on PostgreSQL.

mod admin_users;
pub(crate) mod kit;
mod oauth;
mod protocol;
mod sessions;
mod setup_login;
