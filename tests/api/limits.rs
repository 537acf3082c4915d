//! Rate-limit profiles managed at run time (COLLAB-API.md §4.12, §7): the
//! admin routes, enforcement with its headers, the posting limit, and the
//! fleet-wide limit through Redis.

mod admin;
mod enforcement;
mod fleet;
mod posting;

use serde_json::{Value, json};

use crate::accounts::kit::Client;

pub const PROFILES: &str = "/api/admin/limits/profiles";
pub const ASSIGNMENTS: &str = "/api/admin/limits/assignments";

/// Creates a profile through `admin`, expecting 201; its id.
pub async fn profile(admin: &mut Client, name: &str, params: Value) -> String {
    let made = admin
        .post(PROFILES, json!({"name": name, "params": params}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["id"].as_str().expect("id").to_string()
}

/// Assigns `profile_id` to `method` `path`, expecting 201; the assignment's id.
pub async fn assign(admin: &mut Client, profile_id: &str, method: &str, path: &str) -> String {
    let made = admin
        .post(
            ASSIGNMENTS,
            json!({"profile_id": profile_id, "method": method, "path": path}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["id"].as_str().expect("id").to_string()
}
