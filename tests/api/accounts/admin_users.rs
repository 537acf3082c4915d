//! The admin's user routes (§4.4): create, list with its cursor, change;
//! who may call them; the last active admin.

use serde_json::{Value, json};

use super::kit::{Backend, PASSWORD, Server, both_backends};

both_backends!(
    admins_create_accounts_that_follow_the_field_rules,
    accounts_are_listed_oldest_first_a_page_at_a_time,
    admins_change_names_roles_and_access,
    only_admins_reach_the_admin_routes,
);

fn new_user(username: &str, email: &str) -> Value {
    json!({"username": username, "email": email, "password": PASSWORD})
}

async fn admins_create_accounts_that_follow_the_field_rules(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let made = root
        .post(
            "/api/admin/users",
            json!({"username": "ann", "email": " Ann@Example.org ", "password": PASSWORD,
                   "display_name": "  Ann Lee ", "roles": ["member", "admin"]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let body = made.body.as_object().unwrap();
    assert_eq!(body.len(), 7, "{made:?}");
    assert_eq!(made.body["email"], "Ann@Example.org");
    assert_eq!(made.body["display_name"], "Ann Lee");
    assert_eq!(made.body["roles"], json!(["admin", "member"]));
    assert_eq!(made.body["disabled"], false);
    assert!(made.body["created_at"].as_str().unwrap().ends_with('Z'));
    let plain = root
        .post("/api/admin/users", new_user("bob", "bob@x.org"))
        .await;
    assert_eq!(plain.body["roles"], json!(["member"]));
    assert!(plain.body.get("display_name").is_none());

    for (body, field) in [
        (new_user("carl", "carl"), "email"),
        (new_user("carl@x", "carl@x.org"), "username"),
        (
            json!({"username": "carl", "email": "c@x.org", "password": "1234567"}),
            "password",
        ),
        (
            json!({"username": "carl", "email": "c@x.org", "password": PASSWORD, "display_name": "x".repeat(129)}),
            "display_name",
        ),
        (
            json!({"username": "carl", "email": "c@x.org", "password": PASSWORD, "roles": []}),
            "roles",
        ),
        (
            json!({"username": "carl", "email": "c@x.org", "password": PASSWORD, "roles": ["read_only", "member"]}),
            "roles",
        ),
    ] {
        let refused = root.post("/api/admin/users", body).await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.body["details"]["field"], field, "{}", refused.body);
    }
    let bad_role = root
        .post("/api/admin/users", json!({"username": "carl", "email": "c@x.org", "password": PASSWORD, "roles": ["boss"]}))
        .await;
    bad_role.assert_problem(422, "invalid_request");
    assert_eq!(bad_role.body["details"]["reason"], "invalid_value");

    // Unique regardless of case, naming the field.
    let taken = root
        .post("/api/admin/users", new_user("carl", "ANN@example.ORG"))
        .await;
    taken.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(taken.body["details"]["field"], "email");
    let taken = root
        .post("/api/admin/users", new_user("BOB", "bob2@x.org"))
        .await;
    assert_eq!(taken.body["details"]["field"], "username");
    // Nothing of the refused ones was stored.
    let list = root.get("/api/admin/users").await;
    assert_eq!(list.body["users"].as_array().unwrap().len(), 3);
    // The new account signs in with its password.
    assert_eq!(
        server
            .client()
            .login("ann@example.org", PASSWORD)
            .await
            .status,
        200
    );
}

async fn accounts_are_listed_oldest_first_a_page_at_a_time(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut service = server.service();
    for name in ["u1", "u2", "u3", "u4"] {
        server.clock.advance_ms(1);
        assert_eq!(
            service
                .post("/api/admin/users", new_user(name, &format!("{name}@x.org")))
                .await
                .status,
            201
        );
    }
    let names = |page: &Value| -> Vec<String> {
        page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    let first = service.get("/api/admin/users?limit=3").await;
    assert_eq!(names(&first.body), ["u1", "u2", "u3"]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = service
        .get(&format!("/api/admin/users?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(names(&second.body), ["u4"]);
    assert!(second.body.get("next_cursor").is_none());
    // A full last page is followed by an empty one.
    let full = service.get("/api/admin/users?limit=4").await;
    let cursor = full.body["next_cursor"].as_str().unwrap().to_string();
    let empty = service
        .get(&format!("/api/admin/users?limit=4&cursor={cursor}"))
        .await;
    assert_eq!(empty.body, json!({"users": []}));
    // Absent, zero or negative is the default; not an integer is 400.
    assert_eq!(
        names(&service.get("/api/admin/users?limit=0").await.body).len(),
        4
    );
    assert_eq!(
        names(&service.get("/api/admin/users?limit=-5").await.body).len(),
        4
    );
    let bad = service.get("/api/admin/users?limit=ten").await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "limit");
    let bad = service.get("/api/admin/users?cursor=@@@").await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "cursor");
}

async fn admins_change_names_roles_and_access(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let root_id = root.get("/api/auth/me").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ann = root
        .post("/api/admin/users", new_user("ann", "ann@x.org"))
        .await;
    let ann_id = ann.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/admin/users/{ann_id}");
    let named = root.patch(&path, json!({"display_name": " Ann "})).await;
    assert_eq!(named.body["display_name"], "Ann");
    let cleared = root.patch(&path, json!({"display_name": ""})).await;
    assert!(
        cleared.body.get("display_name").is_none(),
        "{}",
        cleared.body
    );
    let read_only = root.patch(&path, json!({"roles": ["read_only"]})).await;
    assert_eq!(read_only.body["roles"], json!(["read_only"]));
    let unchanged = root.patch(&path, json!({})).await;
    assert_eq!(unchanged.body["roles"], json!(["read_only"]));
    root.patch(&path, json!({"roles": ["read_only", "admin"]}))
        .await
        .assert_problem(400, "validation_failed");
    root.patch(&path, json!({"disabled": "yes"}))
        .await
        .assert_problem(422, "invalid_request");

    // The last active admin cannot be demoted or disabled…
    let root_path = format!("/api/admin/users/{root_id}");
    let last = root.patch(&root_path, json!({"roles": ["member"]})).await;
    last.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(
        last.body["message"],
        "at least one active admin must remain"
    );
    root.patch(&root_path, json!({"disabled": true}))
        .await
        .assert_problem(409, "RGP.CONFLICT");
    // …but can once another admin is active.
    root.patch(&path, json!({"roles": ["admin"]})).await;
    let demoted = root.patch(&root_path, json!({"roles": ["member"]})).await;
    assert_eq!(demoted.status, 200, "{}", demoted.body);

    let unknown = server
        .service()
        .patch(
            &format!("/api/admin/users/{}", uuid::Uuid::now_v7()),
            json!({}),
        )
        .await;
    unknown.assert_problem(404, "RGP.NOT_FOUND");
    let bad = server
        .service()
        .patch("/api/admin/users/not-a-uuid", json!({}))
        .await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "user_id");
}

async fn only_admins_reach_the_admin_routes(backend: Backend) {
    let Some(server) = Server::start(backend, &[]).await else {
        return;
    };
    server.admin().await;
    let mut member = server.member("ann", json!(["member"])).await;
    let mut reader = server.member("rita", json!(["read_only"])).await;
    for c in [&mut member, &mut reader] {
        let refused = c.get("/api/admin/users").await;
        refused.assert_problem(403, "RGP.RBAC.FORBIDDEN");
        c.post("/api/admin/users", new_user("x", "x@x.org"))
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
        // A read-only user still reads its own account and signs out.
        assert_eq!(c.get("/api/auth/me").await.status, 200);
    }
    assert_eq!(reader.post_empty("/api/auth/logout").await.status, 200);
    server
        .client()
        .get("/api/admin/users")
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
}
