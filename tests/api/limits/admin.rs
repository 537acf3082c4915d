//! The admin's rate-limit routes (§4.12): profiles and assignments, their
//! rules, and who may call them.

use serde_json::{Value, json};

use super::{ASSIGNMENTS, PROFILES, assign, profile};
use crate::accounts::kit::{Backend, both_backends};
use crate::conversations::{start, user, without_csrf};

both_backends!(
    profiles_are_created_listed_changed_and_deleted,
    profile_bodies_follow_the_rules,
    assignments_are_stored_in_one_form_and_re_pointed,
    assignment_bodies_follow_the_rules,
    only_admins_reach_the_limit_routes,
);

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

async fn profiles_are_created_listed_changed_and_deleted(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    // The migrations made the posting profile.
    let listed = root.get(PROFILES).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(names(&listed.body), ["conversation.post"]);
    assert_eq!(
        listed.body[0]["params"],
        json!({"requests_per_second": 5.0, "burst": 10})
    );

    let made = root
        .post(
            PROFILES,
            json!({"name": "  chat ", "algorithm": " GCRA ", "params": {"burst": 5}, "description": " for chats "}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let p = &made.body;
    assert_eq!(p.as_object().unwrap().len(), 7, "{p}");
    assert_eq!(p["name"], "chat");
    assert_eq!(p["algorithm"], "gcra");
    assert_eq!(p["params"], json!({"requests_per_second": 1.0, "burst": 5}));
    assert_eq!(p["description"], "for chats");
    assert!(p["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(p["created_at"], p["updated_at"]);
    let id = p["id"].as_str().unwrap().to_string();
    let bare = root
        .post(PROFILES, json!({"name": "Bare", "description": "  "}))
        .await;
    assert_eq!(bare.status, 201, "{}", bare.body);
    assert!(bare.body.get("description").is_none(), "{}", bare.body);
    assert_eq!(
        bare.body["params"],
        json!({"requests_per_second": 1.0, "burst": 1})
    );
    root.post(PROFILES, json!({"name": "CHAT"}))
        .await
        .assert_problem(409, "RGP.CONFLICT");
    assert_eq!(
        names(&root.get(PROFILES).await.body),
        ["Bare", "chat", "conversation.post"]
    );

    server.clock.advance_ms(1_000);
    let changed = root
        .put(
            &format!("{PROFILES}/{id}"),
            json!({"params": {"requests_per_second": 0.5}}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        changed.body["params"],
        json!({"requests_per_second": 0.5, "burst": 5}),
        "merged key by key"
    );
    assert_eq!(changed.body["description"], "for chats", "kept");
    assert_eq!(changed.body["name"], "chat");
    assert_ne!(changed.body["updated_at"], changed.body["created_at"]);
    let cleared = root
        .put(&format!("{PROFILES}/{id}"), json!({"description": ""}))
        .await;
    assert!(
        cleared.body.get("description").is_none(),
        "{}",
        cleared.body
    );
    assert_eq!(cleared.body["params"]["burst"], 5);

    let assigned = assign(&mut root, &id, "GET", "/api/auth/me").await;
    let refused = root.delete(&format!("{PROFILES}/{id}")).await;
    refused.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(refused.body["message"], "profile assigned to routes");
    assert_eq!(refused.body["details"]["assignments"], 1);
    assert_eq!(
        root.delete(&format!("{ASSIGNMENTS}/{assigned}"))
            .await
            .status,
        204
    );
    assert_eq!(root.delete(&format!("{PROFILES}/{id}")).await.status, 204);
    root.delete(&format!("{PROFILES}/{id}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    root.put(&format!("{PROFILES}/{id}"), json!({}))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(
        names(&root.get(PROFILES).await.body),
        ["Bare", "conversation.post"]
    );
}

async fn profile_bodies_follow_the_rules(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let long = "n".repeat(65);
    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({"name": long}), "name"),
        (
            json!({"name": "x", "algorithm": "token_bucket"}),
            "algorithm",
        ),
        (json!({"name": "x", "params": {"burst": 0}}), "params.burst"),
        (
            json!({"name": "x", "params": {"burst": 2.5}}),
            "params.burst",
        ),
        (
            json!({"name": "x", "params": {"requests_per_second": 0}}),
            "params.requests_per_second",
        ),
        (
            json!({"name": "x", "params": {"requests_per_second": "5"}}),
            "params.requests_per_second",
        ),
        (
            json!({"name": "x", "params": {"period": 60}}),
            "params.period",
        ),
    ] {
        let refused = root.post(PROFILES, body.clone()).await;
        refused.assert_problem(422, "invalid_profile");
        assert_eq!(refused.body["details"]["field"], field, "{body}");
    }
    let refused = root
        .post(PROFILES, json!({"name": "x", "algorithm": "leaky_bucket"}))
        .await;
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("unsupported algorithm"),
        "{}",
        refused.body
    );
    // Shapes (§1.3).
    let missing = root.post(PROFILES, json!({"params": {}})).await;
    missing.assert_problem(422, "invalid_request");
    assert_eq!(
        missing.body["details"],
        json!({"field": "name", "reason": "missing"})
    );
    let wrong = root.post(PROFILES, json!({"name": "x", "params": 5})).await;
    wrong.assert_problem(422, "invalid_request");
    assert_eq!(wrong.body["details"]["field"], "params");
    root.put(&format!("{PROFILES}/not-a-uuid"), json!({}))
        .await
        .assert_problem(400, "validation_failed");
    let id = profile(&mut root, "p", json!({"burst": 3})).await;
    let bad = root
        .put(
            &format!("{PROFILES}/{id}"),
            json!({"params": {"burst": -1}}),
        )
        .await;
    bad.assert_problem(422, "invalid_profile");
    assert_eq!(bad.body["details"]["field"], "params.burst");
    // Nothing of the refused bodies was stored.
    let listed = root.get(PROFILES).await.body;
    assert_eq!(names(&listed), ["conversation.post", "p"]);
    assert_eq!(listed[1]["params"]["burst"], 3);
}

async fn assignments_are_stored_in_one_form_and_re_pointed(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let a = profile(&mut root, "a", json!({})).await;
    let b = profile(&mut root, "b", json!({})).await;
    let made = root
        .post(
            ASSIGNMENTS,
            json!({"profile_id": a, "method": " get ", "path": " api/threads/{root_id}/tree/ "}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let first = made.body.clone();
    assert_eq!(first.as_object().unwrap().len(), 7, "{first}");
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path_pattern"], "/api/threads/:root_id/tree");
    assert_eq!(first["profile_id"], a.as_str());
    assert_eq!(first["profile_name"], "a");

    server.clock.advance_ms(1_000);
    let again = root
        .post(
            ASSIGNMENTS,
            json!({"profile_id": b, "method": "GET", "path": "/api/threads/:root_id/tree"}),
        )
        .await;
    assert_eq!(again.status, 200, "re-pointed: {}", again.body);
    assert_eq!(again.body["id"], first["id"]);
    assert_eq!(again.body["created_at"], first["created_at"]);
    assert_ne!(again.body["updated_at"], first["updated_at"]);
    assert_eq!(
        (&again.body["profile_id"], &again.body["profile_name"]),
        (&json!(b), &json!("b"))
    );

    // Roomy enough for the calls below, which these now cover.
    let roomy = profile(&mut root, "roomy", json!({"burst": 100})).await;
    assign(&mut root, &roomy, "DELETE", "/api/*").await;
    assign(&mut root, &b, "GET", "/api/conversations").await;
    assign(&mut root, &roomy, "POST", "*").await;
    let listed = root.get(ASSIGNMENTS).await;
    assert_eq!(listed.status, 200);
    let order: Vec<(String, String)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["method"].as_str().unwrap().to_string(),
                a["path_pattern"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("DELETE".to_string(), "/api/*".to_string()),
            ("GET".into(), "/api/conversations".into()),
            ("GET".into(), "/api/threads/:root_id/tree".into()),
            ("POST".into(), "/*".into()),
        ]
    );
    let id = first["id"].as_str().unwrap();
    assert_eq!(
        root.delete(&format!("{ASSIGNMENTS}/{id}")).await.status,
        204
    );
    root.delete(&format!("{ASSIGNMENTS}/{id}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(
        root.get(ASSIGNMENTS).await.body.as_array().unwrap().len(),
        3
    );
}

async fn assignment_bodies_follow_the_rules(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let p = profile(&mut root, "p", json!({})).await;
    for (method, path, message) in [
        ("  ", "/x", Some("HTTP method is required")),
        ("OPTIONS", "/x", None),
        ("TRACE", "/x", None),
        ("GET", "   ", None),
        ("GET", "/a b", None),
        ("GET", "/api/th*", Some("`*` must be a whole path segment")),
    ] {
        let refused = root
            .post(
                ASSIGNMENTS,
                json!({"profile_id": p, "method": method, "path": path}),
            )
            .await;
        refused.assert_problem(422, "invalid_assignment");
        if let Some(message) = message {
            assert_eq!(refused.body["message"], message);
        }
    }
    let unknown = root
        .post(
            ASSIGNMENTS,
            json!({"profile_id": uuid::Uuid::now_v7(), "method": "GET", "path": "/x"}),
        )
        .await;
    unknown.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(unknown.body["message"], "rate limit profile not found");
    let bad_id = root
        .post(
            ASSIGNMENTS,
            json!({"profile_id": "p", "method": "GET", "path": "/x"}),
        )
        .await;
    bad_id.assert_problem(422, "invalid_request");
    assert_eq!(
        bad_id.body["details"],
        json!({"field": "profile_id", "reason": "invalid_value"})
    );
    let missing = root
        .post(ASSIGNMENTS, json!({"profile_id": p, "path": "/x"}))
        .await;
    missing.assert_problem(422, "invalid_request");
    assert_eq!(missing.body["details"]["field"], "method");
    assert_eq!(root.get(ASSIGNMENTS).await.body, json!([]));
}

async fn only_admins_reach_the_limit_routes(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut member = user(&server, "mia").await;
    for path in [PROFILES, ASSIGNMENTS] {
        member
            .c
            .get(path)
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
        server
            .client()
            .get(path)
            .await
            .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
    }
    member
        .c
        .post(PROFILES, json!({"name": "mine"}))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    // Changes by cookie need the CSRF token; the service needs none.
    let mut forged = without_csrf(&mut root).await;
    forged
        .post(PROFILES, json!({"name": "forged"}))
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    let made = server
        .service()
        .post(PROFILES, json!({"name": "svc"}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(
        names(&root.get(PROFILES).await.body),
        ["conversation.post", "svc"]
    );
}
