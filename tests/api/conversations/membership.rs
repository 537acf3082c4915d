//! Conversations and membership (§2.2, §4.5): creating, listing and reading
//! conversations; adding, re-roling and removing participants; the last
//! owner.

use serde_json::{Value, json};

use super::{
    LAST_OWNER, add, create_conversation, detail, keys, now_ms, participant, read_only_user, start,
    system_root, tree, ts, unknown_id, user, without_csrf,
};
use crate::accounts::kit::{Backend, Client, both_backends};

both_backends!(
    creating_a_conversation_makes_the_caller_its_owner,
    conversations_are_listed_by_activity_a_page_at_a_time,
    adding_a_participant_sets_or_changes_its_role,
    removed_participants_lose_access_but_history_stays,
    a_conversation_keeps_at_least_one_owner,
    membership_bodies_are_checked,
);

const SUMMARY_FIELDS: [&str; 8] = [
    "created_at",
    "created_by",
    "id",
    "is_group",
    "last_activity_at",
    "participant_count",
    "role",
    "title",
];

/// The ids of a page of `GET /api/conversations`.
fn ids(page: &Value) -> Vec<String> {
    page["conversations"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

async fn list(c: &mut Client, query: &str) -> Value {
    let got = c.get(&format!("/api/conversations{query}")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body
}

/// The user ids of a detail's participants, in order.
fn participant_ids(detail: &Value) -> Vec<String> {
    detail["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user_id"].as_str().unwrap().to_string())
        .collect()
}

async fn creating_a_conversation_makes_the_caller_its_owner(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let now = now_ms(&server);
    let made = olga
        .c
        .post("/api/conversations", json!({"title": "  Plans \n"}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(keys(&made.body), ["conversation_id"]);
    let conv = made.body["conversation_id"].as_str().unwrap().to_string();
    assert_eq!(
        uuid::Uuid::parse_str(&conv).unwrap().to_string(),
        conv,
        "a lowercase hyphenated UUID"
    );

    let d = detail(&mut olga.c, &conv).await;
    let mut fields = SUMMARY_FIELDS.to_vec();
    fields.push("participants");
    fields.sort_unstable();
    assert_eq!(keys(&d), fields, "{d}");
    assert_eq!(d["id"], conv);
    assert_eq!(d["title"], "Plans");
    assert_eq!(d["is_group"], false);
    assert_eq!(d["role"], "owner");
    assert_eq!(d["created_by"], olga.id);
    assert_eq!(d["created_at"], ts(now));
    assert_eq!(d["last_activity_at"], d["created_at"], "no message yet");
    assert_eq!(d["participant_count"], 1);
    let me = &d["participants"][0];
    assert_eq!(
        keys(me),
        ["joined_at", "presence", "role", "user_id", "username"]
    );
    assert_eq!(me["user_id"], olga.id);
    assert_eq!(me["username"], "olga");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["joined_at"], ts(now));
    // Signing in counts as being seen.
    assert_eq!(
        me["presence"],
        json!({"status": "online", "last_seen_at": ts(now)})
    );

    // A group with reply defaults; the title's limit counts characters.
    let group = olga
        .c
        .post(
            "/api/conversations",
            json!({"title": "é".repeat(256), "is_group": true,
                   "provider": "anthropic", "model": "claude-sonnet-4"}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let g = detail(&mut olga.c, group.body["conversation_id"].as_str().unwrap()).await;
    assert_eq!(g["title"], "é".repeat(256));
    assert_eq!(g["is_group"], true);
    assert_eq!(g["provider"], "anthropic");
    assert_eq!(g["model"], "claude-sonnet-4");

    // The rules of §4.5, each naming its field.
    for (body, field) in [
        (json!({"title": "   "}), "title"),
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(257)}), "title"),
        (json!({"title": format!(" {} ", "é".repeat(257))}), "title"),
        (
            json!({"title": "t", "provider": "openai", "model": "  "}),
            "model",
        ),
    ] {
        let refused = olga.c.post("/api/conversations", body.clone()).await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.body["details"]["field"], field, "{body}");
        let message = refused.body["message"].as_str().unwrap();
        if field == "title" {
            assert!(message.contains("256"), "the limit as a number: {message}");
        }
    }
    for body in [
        json!({"title": "t", "provider": "openai"}),
        json!({"title": "t", "model": "gpt-4o-mini"}),
    ] {
        let refused = olga.c.post("/api/conversations", body.clone()).await;
        refused.assert_problem(400, "validation_failed");
        let field = refused.body["details"]["field"].as_str().unwrap_or("");
        assert!(field == "provider" || field == "model", "{}", refused.body);
    }
    for (body, field, reason) in [
        (json!({}), "title", "missing"),
        (json!({"title": null}), "title", "missing"),
        (json!({"title": 5}), "title", "invalid_type"),
        (
            json!({"title": "t", "is_group": "yes"}),
            "is_group",
            "invalid_type",
        ),
        (
            json!({"title": "t", "provider": "gemini", "model": "m"}),
            "provider",
            "invalid_value",
        ),
    ] {
        let refused = olga.c.post("/api/conversations", body.clone()).await;
        refused.assert_problem(422, "invalid_request");
        assert_eq!(
            refused.body["details"],
            json!({"field": field, "reason": reason}),
            "{body}"
        );
    }
    // Nothing refused was stored.
    assert_eq!(ids(&list(&mut olga.c, "").await).len(), 2);

    // Who may create: a user session, not read_only, with its CSRF token.
    let mut rita = read_only_user(&server, "rita").await;
    let refused = rita
        .c
        .post("/api/conversations", json!({"title": "mine"}))
        .await;
    refused.assert_problem(403, "RGP.RBAC.FORBIDDEN");
    server
        .client()
        .post("/api/conversations", json!({"title": "t"}))
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
    let service = server
        .service()
        .post("/api/conversations", json!({"title": "t"}))
        .await;
    service.assert_problem(403, "RGP.RBAC.FORBIDDEN");
    assert_eq!(service.body["message"], "this route needs a user session");
    let mut no_csrf = without_csrf(&mut olga.c).await;
    no_csrf
        .post("/api/conversations", json!({"title": "t"}))
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    assert_eq!(ids(&list(&mut olga.c, "").await).len(), 2);
}

async fn conversations_are_listed_by_activity_a_page_at_a_time(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let a = create_conversation(&mut olga.c, "A").await;
    server.clock.advance_ms(1_000);
    let b = create_conversation(&mut olga.c, "B").await;
    server.clock.advance_ms(1_000);
    let c = create_conversation(&mut olga.c, "C").await;
    server.clock.advance_ms(1_000);
    let d = create_conversation(&mut ann.c, "D").await;

    let page = list(&mut olga.c, "").await;
    assert_eq!(keys(&page), ["conversations"], "{page}");
    assert_eq!(
        ids(&page),
        [c.as_str(), b.as_str(), a.as_str()],
        "newest activity first; D is Ann's"
    );
    let first = &page["conversations"][0];
    assert_eq!(keys(first), SUMMARY_FIELDS, "{first}");
    assert_eq!(first["title"], "C");
    assert_eq!(first["role"], "owner");
    assert_eq!(first["created_by"], olga.id);
    assert_eq!(first["participant_count"], 1);

    // A message makes its conversation the most recent.
    server.clock.advance_ms(1_000);
    let root = system_root(&server, &mut olga.c, &a, "news").await;
    let posted_at = tree(&mut olga.c, &root).await[0]["created_at"].clone();
    let page = list(&mut olga.c, "").await;
    assert_eq!(ids(&page), [a.as_str(), c.as_str(), b.as_str()]);
    assert_eq!(page["conversations"][0]["last_activity_at"], posted_at);
    assert_ne!(
        page["conversations"][0]["last_activity_at"],
        page["conversations"][0]["created_at"]
    );

    // A membership lists the conversation for the new participant.
    add(&mut olga.c, &b, &ann.id, "member").await;
    let anns = list(&mut ann.c, "").await;
    assert_eq!(ids(&anns), [d.as_str(), b.as_str()]);
    assert_eq!(anns["conversations"][1]["role"], "member");
    assert_eq!(anns["conversations"][1]["participant_count"], 2);

    // Pages: the cursor only when the page is full.
    let first = list(&mut olga.c, "?limit=2").await;
    assert_eq!(ids(&first), [a.as_str(), c.as_str()]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("next_cursor")
        .to_string();
    let second = list(&mut olga.c, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), [b.as_str()]);
    assert!(second.get("next_cursor").is_none(), "{second}");
    let full = list(&mut olga.c, "?limit=3").await;
    assert_eq!(ids(&full), [a.as_str(), c.as_str(), b.as_str()]);
    let cursor = full["next_cursor"]
        .as_str()
        .expect("next_cursor")
        .to_string();
    let after = list(&mut olga.c, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(after, json!({"conversations": []}));
    for query in ["?limit=0", "?limit=-4", ""] {
        let all = list(&mut olga.c, query).await;
        assert_eq!(ids(&all).len(), 3, "{query}");
        assert!(all.get("next_cursor").is_none(), "{query}: {all}");
    }
    for (query, field) in [("?limit=ten", "limit"), ("?cursor=@@@", "cursor")] {
        let bad = olga.c.get(&format!("/api/conversations{query}")).await;
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], field);
    }

    // The same activity time: by id, descending.
    let mut tia = user(&server, "tia").await;
    let mut made = Vec::new();
    for title in ["x", "y", "z"] {
        made.push(create_conversation(&mut tia.c, title).await);
    }
    made.sort_unstable_by(|l, r| r.cmp(l));
    assert_eq!(ids(&list(&mut tia.c, "").await), made);
}

async fn adding_a_participant_sets_or_changes_its_role(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let bob = user(&server, "bob").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    ann.c
        .get(&format!("/api/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");

    server.clock.advance_ms(1_000);
    let joined = ts(now_ms(&server));
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let p = participant(&mut olga.c, &conv, &ann.id).await;
    assert_eq!(p["username"], "ann");
    assert_eq!(p["role"], "member");
    assert_eq!(p["joined_at"], joined);
    let seen_by_ann = detail(&mut ann.c, &conv).await;
    assert_eq!(seen_by_ann["role"], "member");
    assert_eq!(seen_by_ann["participant_count"], 2);

    // The same role again: nothing happens.
    server.clock.advance_ms(1_000);
    add(&mut olga.c, &conv, &ann.id, "member").await;
    assert_eq!(
        participant(&mut olga.c, &conv, &ann.id).await["joined_at"],
        joined
    );
    // Another role: changed, still joined when she joined.
    server.clock.advance_ms(1_000);
    add(&mut olga.c, &conv, &ann.id, "viewer").await;
    let p = participant(&mut olga.c, &conv, &ann.id).await;
    assert_eq!(p["role"], "viewer");
    assert_eq!(p["joined_at"], joined);
    assert_eq!(detail(&mut ann.c, &conv).await["role"], "viewer");

    server.clock.advance_ms(1_000);
    add(&mut olga.c, &conv, &bob.id, "admin").await;
    let d = detail(&mut olga.c, &conv).await;
    assert_eq!(
        participant_ids(&d),
        [olga.id.as_str(), ann.id.as_str(), bob.id.as_str()],
        "by joined_at"
    );
    assert_eq!(d["participant_count"], 3);
    let roles: Vec<&str> = d["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "viewer", "admin"]);

    // Unknown user, unknown conversation.
    let missing = olga
        .c
        .post(
            &format!("/api/conversations/{conv}/participants"),
            json!({"user_id": unknown_id(), "role": "member"}),
        )
        .await;
    missing.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(missing.body["message"], "user not found");
    let nowhere = olga
        .c
        .post(
            &format!("/api/conversations/{}/participants", unknown_id()),
            json!({"user_id": ann.id, "role": "member"}),
        )
        .await;
    nowhere.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(nowhere.body["message"], "conversation not found");
    assert_eq!(detail(&mut olga.c, &conv).await["participant_count"], 3);
}

async fn removed_participants_lose_access_but_history_stays(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let bob = user(&server, "bob").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let root = system_root(&server, &mut ann.c, &conv, "from ann").await;

    server.clock.advance_ms(1_000);
    let removed = olga
        .c
        .delete(&format!(
            "/api/conversations/{conv}/participants/{}",
            ann.id
        ))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    ann.c
        .get(&format!("/api/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    ann.c
        .get(&format!("/api/threads/{root}/tree"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    assert!(ids(&list(&mut ann.c, "").await).is_empty());
    // The history stays.
    let d = detail(&mut olga.c, &conv).await;
    assert_eq!(participant_ids(&d), [olga.id.as_str()]);
    assert_eq!(d["participant_count"], 1);
    let kept = tree(&mut olga.c, &root).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["author_user_id"], ann.id);
    assert_eq!(kept[0]["content"], "from ann");

    for target in [&ann.id, &bob.id, &unknown_id()] {
        let gone = olga
            .c
            .delete(&format!("/api/conversations/{conv}/participants/{target}"))
            .await;
        gone.assert_problem(404, "RGP.NOT_FOUND");
        assert_eq!(gone.body["message"], "participant not found");
    }
    olga.c
        .delete(&format!(
            "/api/conversations/{}/participants/{}",
            unknown_id(),
            bob.id
        ))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");

    // Coming back: a new joined_at, the history readable again.
    server.clock.advance_ms(1_000);
    let back = ts(now_ms(&server));
    add(&mut olga.c, &conv, &ann.id, "viewer").await;
    let p = participant(&mut olga.c, &conv, &ann.id).await;
    assert_eq!(p["joined_at"], back);
    assert_eq!(p["role"], "viewer");
    assert_eq!(tree(&mut ann.c, &root).await.len(), 1);
}

async fn a_conversation_keeps_at_least_one_owner(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let leave_olga = format!("/api/conversations/{conv}/participants/{}", olga.id);
    let leave_ann = format!("/api/conversations/{conv}/participants/{}", ann.id);
    let role_of = |id: &str, role: &str| json!({"user_id": id, "role": role});
    let participants = format!("/api/conversations/{conv}/participants");

    let last = olga.c.delete(&leave_olga).await;
    last.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(last.body["message"], LAST_OWNER);
    let last = olga.c.post(&participants, role_of(&olga.id, "admin")).await;
    last.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(last.body["message"], LAST_OWNER);
    assert_eq!(detail(&mut olga.c, &conv).await["role"], "owner");

    // With a second owner, the first may step down, and be removed.
    add(&mut olga.c, &conv, &ann.id, "owner").await;
    let stepped = olga.c.post(&participants, role_of(&olga.id, "admin")).await;
    assert_eq!(stepped.status, 204, "{}", stepped.body);
    assert_eq!(detail(&mut olga.c, &conv).await["role"], "admin");
    add(&mut ann.c, &conv, &olga.id, "owner").await;
    let removed = ann.c.delete(&leave_olga).await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    // Now Ann is the only owner again.
    let last = ann.c.delete(&leave_ann).await;
    last.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(last.body["message"], LAST_OWNER);
    let last = ann.c.post(&participants, role_of(&ann.id, "member")).await;
    last.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(last.body["message"], LAST_OWNER);
    let d = detail(&mut ann.c, &conv).await;
    assert_eq!(participant_ids(&d), [ann.id.as_str()]);
    assert_eq!(d["participants"][0]["role"], "owner");

    // An owner who is not the last one may leave.
    add(&mut ann.c, &conv, &olga.id, "owner").await;
    let left = olga.c.delete(&leave_olga).await;
    assert_eq!(left.status, 204, "{}", left.body);
    olga.c
        .get(&format!("/api/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
}

async fn membership_bodies_are_checked(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let participants = format!("/api/conversations/{conv}/participants");
    for (body, field, reason) in [
        (json!({"user_id": ann.id}), "role", "missing"),
        (json!({"role": "member"}), "user_id", "missing"),
        (json!({"user_id": ann.id, "role": null}), "role", "missing"),
        (
            json!({"user_id": ann.id, "role": "boss"}),
            "role",
            "invalid_value",
        ),
        (
            json!({"user_id": ann.id, "role": 3}),
            "role",
            "invalid_type",
        ),
        (
            json!({"user_id": "nope", "role": "member"}),
            "user_id",
            "invalid_value",
        ),
        (
            json!({"user_id": 7, "role": "member"}),
            "user_id",
            "invalid_type",
        ),
    ] {
        let refused = olga.c.post(&participants, body.clone()).await;
        refused.assert_problem(422, "invalid_request");
        assert_eq!(
            refused.body["details"],
            json!({"field": field, "reason": reason}),
            "{body}"
        );
    }
    assert_eq!(detail(&mut olga.c, &conv).await["participant_count"], 1);

    // Path parameters that are not UUIDs.
    for (path, field) in [
        (
            "/api/conversations/not-a-uuid".to_string(),
            "conversation_id",
        ),
        (
            format!("/api/conversations/not-a-uuid/participants/{}", ann.id),
            "conversation_id",
        ),
        (
            format!("/api/conversations/{conv}/participants/x"),
            "user_id",
        ),
    ] {
        let bad = if path.contains("participants") {
            olga.c.delete(&path).await
        } else {
            olga.c.get(&path).await
        };
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], field, "{path}");
    }
    let bad = olga
        .c
        .post(
            "/api/conversations/not-a-uuid/participants",
            json!({"user_id": ann.id, "role": "member"}),
        )
        .await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "conversation_id");

    // Changes need the CSRF token.
    let mut no_csrf = without_csrf(&mut olga.c).await;
    no_csrf
        .post(&participants, json!({"user_id": ann.id, "role": "member"}))
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    no_csrf
        .delete(&format!("{participants}/{}", olga.id))
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    assert_eq!(detail(&mut olga.c, &conv).await["participant_count"], 1);
}
