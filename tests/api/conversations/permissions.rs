//! The permission matrix of §3.6, row by row, for each conversation role
//! and for a `read_only` user stored as `admin` (who acts as a viewer); and
//! the 404 a non-participant gets, exactly as for an unknown id.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    LAST_OWNER, Room, add, detail, message, room, start, system_reply, system_root, tree,
    unknown_id, unread, user, user_root,
};
use crate::accounts::kit::{Answer, Backend, Client, both_backends};

both_backends!(
    every_participant_reads_and_marks_read,
    outsiders_and_unknown_ids_get_the_same_404,
    only_owners_admins_and_members_post_and_type,
    authors_edit_and_delete_their_own_messages,
    owners_and_admins_delete_and_restore_any_message,
    cancelling_replies_by_role,
    adding_and_changing_roles_by_role,
    removing_participants_by_role,
    invites_by_role,
    every_role_may_leave,
);

#[track_caller]
fn forbidden(answer: &Answer) {
    answer.assert_problem(403, "RGP.RBAC.FORBIDDEN");
}

async fn act(c: &mut Client, id: &str, action: &str) -> Answer {
    c.post_empty(&format!("/api/messages/{id}/{action}")).await
}

async fn edit(c: &mut Client, id: &str, content: &str) -> Answer {
    c.post(
        &format!("/api/messages/{id}/edit"),
        json!({"content": content}),
    )
    .await
}

async fn set_role(c: &mut Client, conv: &str, user_id: &str, role: &str) -> Answer {
    c.post(
        &format!("/api/conversations/{conv}/participants"),
        json!({"user_id": user_id, "role": role}),
    )
    .await
}

async fn remove(c: &mut Client, conv: &str, user_id: &str) -> Answer {
    c.delete(&format!("/api/conversations/{conv}/participants/{user_id}"))
        .await
}

async fn invite(c: &mut Client, conv: &str, role: &str) -> Answer {
    c.post(
        &format!("/api/conversations/{conv}/invites"),
        json!({"role": role}),
    )
    .await
}

async fn typing(c: &mut Client, conv: &str, root: &str) -> Answer {
    c.post(
        "/api/typing",
        json!({"conversation_id": conv, "root_id": root}),
    )
    .await
}

/// The roles the detail shows, by user id.
async fn roles(c: &mut Client, conv: &str) -> Vec<(String, String)> {
    detail(c, conv).await["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user_id"].as_str().unwrap().to_string(),
                p["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn every_participant_reads_and_marks_read(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let root = system_root(&server, &mut r.owner.c, &conv, "hello").await;
    for (u, role) in [
        (&mut r.owner, "owner"),
        (&mut r.admin, "admin"),
        (&mut r.member, "member"),
        (&mut r.viewer, "viewer"),
        (&mut r.ro, "admin"),
    ] {
        let c = &mut u.c;
        let d = detail(c, &conv).await;
        assert_eq!(d["role"], role, "the stored role is shown");
        assert_eq!(d["participant_count"], 5);
        let listed = c.get("/api/conversations").await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        assert_eq!(listed.body["conversations"][0]["id"], conv);
        assert_eq!(listed.body["conversations"][0]["role"], role);
        let threads = c.get(&format!("/api/conversations/{conv}/threads")).await;
        assert_eq!(threads.status, 200, "{role}: {}", threads.body);
        assert_eq!(threads.body["threads"][0]["root_id"], root);
        assert_eq!(tree(c, &root).await.len(), 1);
        let chunks = c.get(&format!("/api/messages/{root}/chunks")).await;
        assert_eq!(chunks.status, 200, "{role}: {}", chunks.body);
        assert_eq!(chunks.body, json!([]));
        let expected = if role == "owner" { 0 } else { 1 };
        assert_eq!(unread(c, &conv).await.len(), expected, "{role}");
        let marked = c.post_empty(&format!("/api/threads/{root}/read")).await;
        assert_eq!(marked.status, 204, "{role}: {}", marked.body);
        assert!(unread(c, &conv).await.is_empty());
        let beat = c.post_empty("/api/presence/heartbeat").await;
        assert_eq!(beat.status, 204, "{role}: {}", beat.body);
    }
}

async fn outsiders_and_unknown_ids_get_the_same_404(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let Room {
        conv,
        mut owner,
        member,
        mut outsider,
        ..
    } = room(&server).await;
    let root = system_root(&server, &mut owner.c, &conv, "secret").await;
    let x = system_reply(&server, &mut owner.c, &root, "also secret").await;
    let made = invite(&mut owner.c, &conv, "member").await;
    let token = made.body["token"].as_str().unwrap().to_string();
    // A global admin is no participant either.
    let mut root_admin = server.member("boss", json!(["admin", "member"])).await;

    let u = unknown_id();
    let m = &member.id;
    let content = Some(json!({"content": "hi"}));
    let cases: Vec<(Method, String, String, Option<Value>)> = vec![
        (
            Method::GET,
            format!("/api/conversations/{conv}"),
            format!("/api/conversations/{u}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/conversations/{conv}/threads"),
            format!("/api/conversations/{u}/threads"),
            None,
        ),
        (
            Method::GET,
            format!("/api/conversations/{conv}/unread"),
            format!("/api/conversations/{u}/unread"),
            None,
        ),
        (
            Method::POST,
            format!("/api/conversations/{conv}/participants"),
            format!("/api/conversations/{u}/participants"),
            Some(json!({"user_id": outsider.id, "role": "member"})),
        ),
        (
            Method::DELETE,
            format!("/api/conversations/{conv}/participants/{m}"),
            format!("/api/conversations/{u}/participants/{m}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/conversations/{conv}/invites"),
            format!("/api/conversations/{u}/invites"),
            Some(json!({"role": "member"})),
        ),
        (
            Method::GET,
            format!("/api/threads/{root}/tree"),
            format!("/api/threads/{u}/tree"),
            None,
        ),
        (
            Method::POST,
            format!("/api/threads/{root}/read"),
            format!("/api/threads/{u}/read"),
            None,
        ),
        (
            Method::POST,
            format!("/api/threads/{conv}/root"),
            format!("/api/threads/{u}/root"),
            content.clone(),
        ),
        (
            Method::POST,
            format!("/api/messages/{x}/reply"),
            format!("/api/messages/{u}/reply"),
            content.clone(),
        ),
        (
            Method::GET,
            format!("/api/messages/{x}/chunks"),
            format!("/api/messages/{u}/chunks"),
            None,
        ),
        (
            Method::POST,
            format!("/api/messages/{x}/edit"),
            format!("/api/messages/{u}/edit"),
            content,
        ),
        (
            Method::POST,
            format!("/api/messages/{x}/delete"),
            format!("/api/messages/{u}/delete"),
            None,
        ),
        (
            Method::POST,
            format!("/api/messages/{x}/restore"),
            format!("/api/messages/{u}/restore"),
            None,
        ),
        (
            Method::POST,
            format!("/api/messages/{x}/cancel"),
            format!("/api/messages/{u}/cancel"),
            None,
        ),
        (
            Method::POST,
            format!("/api/invites/{token}/revoke"),
            format!("/api/invites/{}/revoke", "A".repeat(43)),
            None,
        ),
        (
            Method::POST,
            "/api/typing".to_string(),
            "/api/typing".to_string(),
            None,
        ),
    ];
    for (method, real, unknown, body) in cases {
        let (real_body, unknown_body) = if real == "/api/typing" {
            (
                Some(json!({"conversation_id": conv, "root_id": root})),
                Some(json!({"conversation_id": u, "root_id": u})),
            )
        } else {
            (body.clone(), body)
        };
        for c in [&mut outsider.c, &mut root_admin] {
            let hidden = c.request(method.clone(), &real, real_body.clone()).await;
            assert_eq!(hidden.status, 404, "{method} {real}: {}", hidden.body);
            hidden.assert_problem(404, "RGP.NOT_FOUND");
            let missing = c
                .request(method.clone(), &unknown, unknown_body.clone())
                .await;
            assert_eq!(missing.status, 404, "{method} {unknown}: {}", missing.body);
            assert_eq!(hidden.body, missing.body, "{method} {real}");
            let expected = if real.ends_with("/tree") || real.ends_with("/read") {
                Some("thread root not found")
            } else if real.ends_with("/reply") {
                Some("parent message not found")
            } else if real == format!("/api/conversations/{conv}") {
                Some("conversation not found")
            } else {
                None
            };
            if let Some(expected) = expected {
                assert_eq!(hidden.body["message"], expected, "{method} {real}");
            }
        }
    }
    // None of it showed or changed anything.
    for c in [&mut outsider.c, &mut root_admin] {
        let listed = c.get("/api/conversations").await;
        assert_eq!(listed.body, json!({"conversations": []}));
    }
    let kept = tree(&mut owner.c, &root).await;
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[1]["content"], "also secret");
    assert!(kept[1].get("deleted_at").is_none());
    assert_eq!(detail(&mut owner.c, &conv).await["participant_count"], 5);
}

async fn only_owners_admins_and_members_post_and_type(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let root = system_root(&server, &mut r.owner.c, &conv, "hello").await;
    for u in [&mut r.owner, &mut r.admin, &mut r.member] {
        let asked = user_root(&server, &mut u.c, &conv, "question").await;
        assert!(asked["assistant_message_id"].is_string(), "{asked}");
        system_reply(&server, &mut u.c, &root, "reply").await;
        let typed = typing(&mut u.c, &conv, &root).await;
        assert_eq!(typed.status, 204, "{}", typed.body);
    }
    for u in [&mut r.viewer, &mut r.ro] {
        for body in [
            json!({"content": "hi"}),
            json!({"content": "hi", "role": "system"}),
        ] {
            forbidden(
                &u.c.post(&format!("/api/threads/{conv}/root"), body.clone())
                    .await,
            );
            forbidden(&u.c.post(&format!("/api/messages/{root}/reply"), body).await);
        }
        forbidden(&typing(&mut u.c, &conv, &root).await);
    }
    assert_eq!(tree(&mut r.viewer.c, &root).await.len(), 4);
    let threads = r
        .viewer
        .c
        .get(&format!("/api/conversations/{conv}/threads"))
        .await;
    assert_eq!(threads.body["threads"].as_array().unwrap().len(), 4);
}

async fn authors_edit_and_delete_their_own_messages(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let root = system_root(&server, &mut r.owner.c, &conv, "root").await;
    let o = system_reply(&server, &mut r.owner.c, &root, "o").await;
    let a = system_reply(&server, &mut r.admin.c, &root, "a").await;
    let m = system_reply(&server, &mut r.member.c, &root, "m").await;

    for (u, id) in [(&mut r.owner, &o), (&mut r.admin, &a), (&mut r.member, &m)] {
        let edited = edit(&mut u.c, id, "edited").await;
        assert_eq!(edited.status, 204, "{}", edited.body);
    }
    // Nobody edits another's message, whatever their role.
    forbidden(&edit(&mut r.owner.c, &m, "x").await);
    forbidden(&edit(&mut r.admin.c, &m, "x").await);
    forbidden(&edit(&mut r.member.c, &o, "x").await);
    forbidden(&edit(&mut r.viewer.c, &m, "x").await);
    forbidden(&edit(&mut r.ro.c, &m, "x").await);
    // Members delete only their own; viewers nothing.
    forbidden(&act(&mut r.member.c, &a, "delete").await);
    forbidden(&act(&mut r.member.c, &o, "delete").await);
    forbidden(&act(&mut r.viewer.c, &m, "delete").await);
    forbidden(&act(&mut r.ro.c, &m, "delete").await);
    let deleted = act(&mut r.member.c, &m, "delete").await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);

    // A member made a viewer can no longer touch their own message.
    let m2 = system_reply(&server, &mut r.member.c, &root, "m2").await;
    add(&mut r.owner.c, &conv, &r.member.id, "viewer").await;
    forbidden(&edit(&mut r.member.c, &m2, "x").await);
    forbidden(&act(&mut r.member.c, &m2, "delete").await);
    add(&mut r.owner.c, &conv, &r.member.id, "member").await;
    assert_eq!(edit(&mut r.member.c, &m2, "m2 edited").await.status, 204);

    let t = tree(&mut r.viewer.c, &root).await;
    let content: Vec<&str> = t.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(content, ["root", "edited", "edited", "", "m2 edited"]);
}

async fn owners_and_admins_delete_and_restore_any_message(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let root = system_root(&server, &mut r.owner.c, &conv, "root").await;
    let o = system_reply(&server, &mut r.owner.c, &root, "o").await;
    let a = system_reply(&server, &mut r.admin.c, &root, "a").await;
    let m1 = system_reply(&server, &mut r.member.c, &root, "m1").await;
    let m2 = system_reply(&server, &mut r.member.c, &root, "m2").await;
    let m3 = system_reply(&server, &mut r.member.c, &root, "m3").await;
    let ok = |answer: Answer| assert_eq!(answer.status, 204, "{}", answer.body);

    ok(act(&mut r.admin.c, &o, "delete").await);
    ok(act(&mut r.owner.c, &a, "delete").await);
    ok(act(&mut r.admin.c, &m1, "delete").await);
    ok(act(&mut r.owner.c, &m2, "delete").await);
    // A member restores only what they deleted; viewers nothing.
    forbidden(&act(&mut r.member.c, &m1, "restore").await);
    forbidden(&act(&mut r.member.c, &m2, "restore").await);
    forbidden(&act(&mut r.viewer.c, &m1, "restore").await);
    forbidden(&act(&mut r.ro.c, &m1, "restore").await);
    ok(act(&mut r.owner.c, &m1, "restore").await);
    ok(act(&mut r.admin.c, &m2, "restore").await);
    ok(act(&mut r.admin.c, &o, "restore").await);
    ok(act(&mut r.owner.c, &a, "restore").await);
    ok(act(&mut r.member.c, &m3, "delete").await);
    ok(act(&mut r.member.c, &m3, "restore").await);
    // Restoring what is not deleted: the owner, an admin, the author.
    ok(act(&mut r.owner.c, &m3, "restore").await);
    ok(act(&mut r.admin.c, &m3, "restore").await);
    ok(act(&mut r.member.c, &m3, "restore").await);
    forbidden(&act(&mut r.member.c, &o, "restore").await);
    forbidden(&act(&mut r.viewer.c, &m3, "restore").await);
    forbidden(&act(&mut r.ro.c, &m3, "restore").await);
    let t = tree(&mut r.owner.c, &root).await;
    assert!(t.iter().all(|m| m.get("deleted_at").is_none()), "{t:?}");
    let content: Vec<&str> = t.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(content, ["root", "o", "a", "m1", "m2", "m3"]);

    // Assistant replies: only owners and admins delete them.
    let asked = user_root(&server, &mut r.member.c, &conv, "question").await;
    let q = asked["message_id"].as_str().unwrap();
    let reply = asked["assistant_message_id"].as_str().unwrap();
    forbidden(&act(&mut r.member.c, reply, "delete").await);
    forbidden(&act(&mut r.viewer.c, reply, "delete").await);
    forbidden(&act(&mut r.ro.c, reply, "delete").await);
    ok(act(&mut r.admin.c, reply, "delete").await);
    assert_eq!(message(&mut r.member.c, q, reply).await["content"], "");
    forbidden(&act(&mut r.member.c, reply, "restore").await);
    ok(act(&mut r.owner.c, reply, "restore").await);
    ok(act(&mut r.owner.c, reply, "delete").await);
    assert!(
        message(&mut r.member.c, q, reply)
            .await
            .get("deleted_at")
            .is_some()
    );
}

async fn cancelling_replies_by_role(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let by_member = user_root(&server, &mut r.member.c, &conv, "mine").await;
    let by_admin = user_root(&server, &mut r.admin.c, &conv, "theirs").await;
    let member_reply = by_member["assistant_message_id"].as_str().unwrap();
    let admin_reply = by_admin["assistant_message_id"].as_str().unwrap();

    forbidden(&act(&mut r.viewer.c, member_reply, "cancel").await);
    forbidden(&act(&mut r.ro.c, member_reply, "cancel").await);
    forbidden(&act(&mut r.member.c, admin_reply, "cancel").await);
    for (who, id) in [
        ("member", member_reply),
        ("admin", member_reply),
        ("owner", admin_reply),
        ("admin", admin_reply),
    ] {
        let c = match who {
            "member" => &mut r.member.c,
            "admin" => &mut r.admin.c,
            _ => &mut r.owner.c,
        };
        let cancelled = act(c, id, "cancel").await;
        assert_eq!(cancelled.status, 202, "{}", cancelled.body);
        assert_eq!(
            cancelled.body,
            json!({"message_id": id, "status": "completed"})
        );
    }
}

async fn adding_and_changing_roles_by_role(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let nora = user(&server, "nora").await;
    let ned = user(&server, "ned").await;
    let (owner, admin, member) = (r.owner.id.clone(), r.admin.id.clone(), r.member.id.clone());

    // Members, viewers and read_only users change nobody, before any 404.
    for c in [&mut r.member.c, &mut r.viewer.c, &mut r.ro.c] {
        forbidden(&set_role(c, &conv, &nora.id, "viewer").await);
        forbidden(&set_role(c, &conv, &unknown_id(), "viewer").await);
    }
    // Admins: roles below owner, targets that are not owners.
    forbidden(&set_role(&mut r.admin.c, &conv, &nora.id, "owner").await);
    server.clock.advance_ms(1_000);
    for role in ["admin", "member", "viewer"] {
        let changed = set_role(&mut r.admin.c, &conv, &nora.id, role).await;
        assert_eq!(changed.status, 204, "{role}: {}", changed.body);
        let shown = roles(&mut r.owner.c, &conv).await;
        assert!(
            shown.contains(&(nora.id.clone(), role.to_string())),
            "{shown:?}"
        );
    }
    forbidden(&set_role(&mut r.admin.c, &conv, &owner, "admin").await);
    forbidden(&set_role(&mut r.admin.c, &conv, &member, "owner").await);
    assert_eq!(
        set_role(&mut r.admin.c, &conv, &member, "admin")
            .await
            .status,
        204
    );
    assert_eq!(
        set_role(&mut r.admin.c, &conv, &member, "member")
            .await
            .status,
        204
    );
    let missing = set_role(&mut r.admin.c, &conv, &unknown_id(), "member").await;
    missing.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(missing.body["message"], "user not found");

    // Owners: any role, any target.
    server.clock.advance_ms(1_000);
    for role in ["owner", "viewer"] {
        let changed = set_role(&mut r.owner.c, &conv, &ned.id, role).await;
        assert_eq!(changed.status, 204, "{role}: {}", changed.body);
    }
    assert_eq!(
        set_role(&mut r.owner.c, &conv, &admin, "owner")
            .await
            .status,
        204
    );
    assert_eq!(
        set_role(&mut r.owner.c, &conv, &admin, "admin")
            .await
            .status,
        204
    );

    assert_eq!(
        roles(&mut r.owner.c, &conv).await,
        pairs(&[
            (owner.as_str(), "owner"),
            (admin.as_str(), "admin"),
            (member.as_str(), "member"),
            (r.viewer.id.as_str(), "viewer"),
            (r.ro.id.as_str(), "admin"),
            (nora.id.as_str(), "viewer"),
            (ned.id.as_str(), "viewer"),
        ])
    );
}

async fn removing_participants_by_role(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    let nora = user(&server, "nora").await;
    let ned = user(&server, "ned").await;
    server.clock.advance_ms(1_000);
    add(&mut r.owner.c, &conv, &nora.id, "member").await;
    server.clock.advance_ms(1_000);
    add(&mut r.owner.c, &conv, &ned.id, "owner").await;
    let (viewer, member, ro, admin) = (
        r.viewer.id.clone(),
        r.member.id.clone(),
        r.ro.id.clone(),
        r.admin.id.clone(),
    );

    forbidden(&remove(&mut r.member.c, &conv, &viewer).await);
    forbidden(&remove(&mut r.member.c, &conv, &unknown_id()).await);
    forbidden(&remove(&mut r.viewer.c, &conv, &member).await);
    forbidden(&remove(&mut r.ro.c, &conv, &nora.id).await);
    // Admins remove anyone but owners.
    forbidden(&remove(&mut r.admin.c, &conv, &ned.id).await);
    forbidden(&remove(&mut r.admin.c, &conv, &r.owner.id).await);
    assert_eq!(remove(&mut r.admin.c, &conv, &nora.id).await.status, 204);
    assert_eq!(remove(&mut r.admin.c, &conv, &ro).await.status, 204);
    let missing = remove(&mut r.admin.c, &conv, &r.outsider.id).await;
    missing.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(missing.body["message"], "participant not found");
    // Owners remove anyone, other owners included.
    assert_eq!(remove(&mut r.owner.c, &conv, &ned.id).await.status, 204);
    assert_eq!(remove(&mut r.owner.c, &conv, &admin).await.status, 204);

    assert_eq!(
        roles(&mut r.owner.c, &conv).await,
        pairs(&[
            (r.owner.id.as_str(), "owner"),
            (member.as_str(), "member"),
            (viewer.as_str(), "viewer"),
        ])
    );
    for c in [&mut r.admin.c, &mut r.ro.c] {
        c.get(&format!("/api/conversations/{conv}"))
            .await
            .assert_problem(404, "RGP.NOT_FOUND");
    }
}

async fn invites_by_role(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    for role in ["owner", "admin", "member", "viewer"] {
        let made = invite(&mut r.owner.c, &conv, role).await;
        assert_eq!(made.status, 200, "{role}: {}", made.body);
    }
    forbidden(&invite(&mut r.admin.c, &conv, "owner").await);
    for role in ["admin", "member", "viewer"] {
        let made = invite(&mut r.admin.c, &conv, role).await;
        assert_eq!(made.status, 200, "{role}: {}", made.body);
    }
    for c in [&mut r.member.c, &mut r.viewer.c, &mut r.ro.c] {
        forbidden(&invite(c, &conv, "viewer").await);
    }

    let by_owner = invite(&mut r.owner.c, &conv, "member").await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let by_admin = invite(&mut r.admin.c, &conv, "member").await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let revoke = |token: &str| format!("/api/invites/{token}/revoke");
    for c in [&mut r.member.c, &mut r.viewer.c, &mut r.ro.c] {
        forbidden(&c.post_empty(&revoke(&by_owner)).await);
    }
    r.outsider
        .c
        .post_empty(&revoke(&by_owner))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(r.admin.c.post_empty(&revoke(&by_owner)).await.status, 204);
    assert_eq!(r.owner.c.post_empty(&revoke(&by_admin)).await.status, 204);
    // Both are revoked now.
    for token in [&by_owner, &by_admin] {
        let gone = r
            .outsider
            .c
            .post("/api/invites/accept", json!({"token": token}))
            .await;
        gone.assert_problem(410, "RGP.GONE");
        assert_eq!(gone.body["message"], "invite revoked");
    }
}

async fn every_role_may_leave(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut r = room(&server).await;
    let conv = r.conv.clone();
    for u in [&mut r.admin, &mut r.member, &mut r.viewer, &mut r.ro] {
        let left = remove(&mut u.c, &conv, &u.id).await;
        assert_eq!(left.status, 204, "{}", left.body);
        u.c.get(&format!("/api/conversations/{conv}"))
            .await
            .assert_problem(404, "RGP.NOT_FOUND");
        let listed = u.c.get("/api/conversations").await;
        assert_eq!(listed.body, json!({"conversations": []}));
    }
    let last = remove(&mut r.owner.c, &conv, &r.owner.id).await;
    last.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(last.body["message"], LAST_OWNER);
    assert_eq!(
        roles(&mut r.owner.c, &conv).await,
        pairs(&[(r.owner.id.as_str(), "owner")])
    );
}
