//! Messages (§2.3, §4.8): posting roots and replies, paths and the tree's
//! order and pages, edits, deletes and restores as reads show them, and
//! chunks.

use serde_json::{Value, json};

use super::{
    add, create_conversation, keys, labels, message, ms, now_ms, post_reply, post_root, start,
    system_reply, system_root, tree, ts, unknown_id, user, user_root, without_csrf,
};
use crate::accounts::kit::{Backend, Client, Server, both_backends};

both_backends!(
    a_tree_lists_messages_depth_first_by_path,
    trees_page_by_cursor_path,
    posts_follow_the_content_and_role_rules,
    authors_edit_their_messages,
    deleted_messages_are_blanked_until_restored,
    chunks_of_messages_without_text_are_empty,
);

const ROOT_FIELDS: [&str; 9] = [
    "author_user_id",
    "content",
    "conversation_id",
    "created_at",
    "depth",
    "id",
    "path",
    "role",
    "root_id",
];

/// Sequence number `n` as a path label.
fn label(n: u64) -> String {
    format!("{n:016x}")
}

/// Builds, in a new conversation's first thread (sequence numbers 1–6):
///
/// ```text
/// r (1)
/// ├── a (2)
/// │   └── c (4)
/// │       └── d (5)
/// └── b (3)
///     └── e (6)
/// ```
///
/// and returns `[r, a, b, c, d, e]` (creation order).
async fn six(server: &Server, one: &mut Client, two: &mut Client, conv: &str) -> Vec<String> {
    let r = system_root(server, one, conv, "r").await;
    let a = system_reply(server, two, &r, "a").await;
    let b = system_reply(server, one, &r, "b").await;
    let c = system_reply(server, one, &a, "c").await;
    let d = system_reply(server, two, &c, "d").await;
    let e = system_reply(server, two, &b, "e").await;
    vec![r, a, b, c, d, e]
}

fn ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

async fn tree_page(c: &mut Client, root: &str, query: &str) -> Value {
    let got = c.get(&format!("/api/threads/{root}/tree{query}")).await;
    assert_eq!(got.status, 200, "{query}: {}", got.body);
    got.body
}

fn page_ids(page: &Value) -> Vec<String> {
    ids(page["messages"].as_array().unwrap())
}

async fn a_tree_lists_messages_depth_first_by_path(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;

    // The answers of a root post and of a reply.
    let posted = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "  the root  ", "role": "system"}),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert_eq!(
        keys(&posted.body),
        ["conversation_id", "depth", "message_id", "root_id"]
    );
    let r = posted.body["message_id"].as_str().unwrap().to_string();
    assert_eq!(posted.body["root_id"], r);
    assert_eq!(posted.body["conversation_id"], conv);
    assert_eq!(posted.body["depth"], 1);
    let replied = post_reply(
        &server,
        &mut ann.c,
        &r,
        json!({"content": "a", "role": "system"}),
    )
    .await;
    assert_eq!(replied.status, 201, "{}", replied.body);
    assert_eq!(
        keys(&replied.body),
        [
            "conversation_id",
            "depth",
            "message_id",
            "parent_id",
            "root_id"
        ]
    );
    let a = replied.body["message_id"].as_str().unwrap().to_string();
    assert_eq!(replied.body["parent_id"], r);
    assert_eq!(replied.body["root_id"], r);
    assert_eq!(replied.body["conversation_id"], conv);
    assert_eq!(replied.body["depth"], 2);
    let b = system_reply(&server, &mut olga.c, &r, "b").await;
    let c = system_reply(&server, &mut olga.c, &a, "c").await;
    let d = system_reply(&server, &mut ann.c, &c, "d").await;
    let e = system_reply(&server, &mut ann.c, &b, "e").await;

    let messages = tree(&mut ann.c, &r).await;
    assert_eq!(ids(&messages), [&r, &a, &c, &d, &b, &e].map(String::as_str));
    let expected: [(&str, &[u64], &str); 6] = [
        (&r, &[1], ""),
        (&a, &[1, 2], &r),
        (&c, &[1, 2, 4], &a),
        (&d, &[1, 2, 4, 5], &c),
        (&b, &[1, 3], &r),
        (&e, &[1, 3, 6], &b),
    ];
    for (m, (id, path, parent)) in messages.iter().zip(expected) {
        let want = path.iter().map(|n| label(*n)).collect::<Vec<_>>().join(".");
        assert_eq!(m["id"], id);
        assert_eq!(m["path"], want, "{m}");
        assert_eq!(labels(m["path"].as_str().unwrap()), path);
        assert_eq!(m["depth"], path.len(), "{m}");
        assert_eq!(m["root_id"], r);
        assert_eq!(m["conversation_id"], conv);
        assert_eq!(m["role"], "system");
        if parent.is_empty() {
            assert_eq!(keys(m), ROOT_FIELDS, "{m}");
        } else {
            let mut fields = ROOT_FIELDS.to_vec();
            fields.push("parent_id");
            fields.sort_unstable();
            assert_eq!(keys(m), fields, "{m}");
            assert_eq!(m["parent_id"], parent);
        }
    }
    // Content as sent, authors, creation times in creation order.
    assert_eq!(messages[0]["content"], "  the root  ");
    assert_eq!(messages[0]["author_user_id"], olga.id);
    assert_eq!(messages[1]["author_user_id"], ann.id);
    let mut by_creation: Vec<&Value> = messages.iter().collect();
    by_creation.sort_by_key(|m| labels(m["path"].as_str().unwrap()).pop());
    let times: Vec<i64> = by_creation
        .iter()
        .map(|m| ms(m["created_at"].as_str().unwrap()))
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    // Byte-wise path order is the tree's order.
    let mut paths: Vec<String> = messages
        .iter()
        .map(|m| m["path"].as_str().unwrap().to_string())
        .collect();
    let in_order = paths.clone();
    paths.sort();
    assert_eq!(paths, in_order);

    // Creation times stay distinct while the clock stands still.
    let mut quick = Vec::new();
    for n in 0..3 {
        let posted = olga
            .c
            .post(
                &format!("/api/messages/{e}/reply"),
                json!({"content": format!("quick {n}"), "role": "system"}),
            )
            .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        quick.push(posted.body["message_id"].as_str().unwrap().to_string());
    }
    let messages = tree(&mut olga.c, &r).await;
    let times: Vec<i64> = quick
        .iter()
        .map(|id| {
            let m = messages.iter().find(|m| m["id"] == id.as_str()).unwrap();
            ms(m["created_at"].as_str().unwrap())
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    // The siblings sort by creation: labels 7, 8, 9.
    for (n, id) in quick.iter().enumerate() {
        let m = messages.iter().find(|m| m["id"] == id.as_str()).unwrap();
        assert_eq!(labels(m["path"].as_str().unwrap()), [1, 3, 6, 7 + n as u64]);
    }

    // A new thread continues the sequence; a new conversation starts its own.
    let next = system_root(&server, &mut olga.c, &conv, "next").await;
    assert_eq!(tree(&mut olga.c, &next).await[0]["path"], label(10));
    let other = create_conversation(&mut olga.c, "Other").await;
    let first = system_root(&server, &mut olga.c, &other, "first").await;
    let m = &tree(&mut olga.c, &first).await[0];
    assert_eq!(m["path"], label(1));
    assert_eq!(m["depth"], 1);
}

async fn trees_page_by_cursor_path(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let made = six(&server, &mut olga.c, &mut ann.c, &conv).await;
    let [r, a, b, c, d, e] = [0, 1, 2, 3, 4, 5].map(|i| made[i].as_str());
    let f = system_reply(&server, &mut olga.c, e, "f").await;
    let order = [r, a, c, d, b, e, f.as_str()];
    let all = tree(&mut olga.c, r).await;
    let path_of = |id: &str| -> String {
        all.iter().find(|m| m["id"] == id).unwrap()["path"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let first = tree_page(&mut olga.c, r, "?limit=3").await;
    assert_eq!(keys(&first), ["messages", "next_cursor", "root_id"]);
    assert_eq!(first["root_id"], r);
    assert_eq!(page_ids(&first), order[..3]);
    assert_eq!(first["next_cursor"], path_of(c));
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = tree_page(&mut olga.c, r, &format!("?limit=3&cursor_path={cursor}")).await;
    assert_eq!(page_ids(&second), order[3..6]);
    assert_eq!(second["next_cursor"], path_of(e));
    let cursor = second["next_cursor"].as_str().unwrap().to_string();
    let last = tree_page(&mut olga.c, r, &format!("?limit=3&cursor_path={cursor}")).await;
    assert_eq!(page_ids(&last), order[6..]);
    assert_eq!(keys(&last), ["messages", "root_id"], "{last}");

    // A full last page is followed by an empty one.
    let full = tree_page(&mut olga.c, r, "?limit=7").await;
    assert_eq!(page_ids(&full), order);
    let cursor = full["next_cursor"]
        .as_str()
        .expect("next_cursor")
        .to_string();
    assert_eq!(cursor, path_of(f.as_str()));
    let empty = tree_page(&mut olga.c, r, &format!("?limit=7&cursor_path={cursor}")).await;
    assert_eq!(empty, json!({"root_id": r, "messages": []}));
    for query in ["", "?limit=0", "?limit=-3"] {
        let page = tree_page(&mut olga.c, r, query).await;
        assert_eq!(page_ids(&page), order, "{query}");
        assert!(page.get("next_cursor").is_none(), "{query}: {page}");
    }

    // The cursor is exclusive, and what follows it in path order.
    let after_root = tree_page(&mut olga.c, r, &format!("?cursor_path={}", path_of(r))).await;
    assert_eq!(page_ids(&after_root), order[1..]);
    let after_c = tree_page(&mut olga.c, r, &format!("?cursor_path={}", path_of(c))).await;
    assert_eq!(page_ids(&after_c), [d, b, e, f.as_str()]);
    let after_a_subtree = tree_page(&mut ann.c, r, &format!("?cursor_path={}", path_of(d))).await;
    assert_eq!(page_ids(&after_a_subtree), [b, e, f.as_str()]);

    for (query, field) in [
        ("?cursor_path=xyz", "cursor_path"),
        ("?cursor_path=000000000000000A", "cursor_path"),
        ("?cursor_path=1", "cursor_path"),
        ("?cursor_path=0000000000000001.", "cursor_path"),
        (
            "?cursor_path=0000000000000001..0000000000000002",
            "cursor_path",
        ),
        ("?cursor_path=00000000000000001", "cursor_path"),
        ("?limit=many", "limit"),
    ] {
        let bad = olga.c.get(&format!("/api/threads/{r}/tree{query}")).await;
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], field, "{query}");
    }
    // Only roots have trees.
    let unknown = unknown_id();
    for id in [a, unknown.as_str()] {
        let missing = olga.c.get(&format!("/api/threads/{id}/tree")).await;
        missing.assert_problem(404, "RGP.NOT_FOUND");
        assert_eq!(missing.body["message"], "thread root not found");
    }
    let bad = olga.c.get("/api/threads/not-a-uuid/tree").await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "root_id");
}

async fn posts_follow_the_content_and_role_rules(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut vic = user(&server, "vic").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &vic.id, "viewer").await;
    let r = system_root(&server, &mut olga.c, &conv, "root").await;

    // At the limit, counted in characters.
    for content in ["x".repeat(100_000), "é".repeat(100_000)] {
        let posted = post_reply(
            &server,
            &mut olga.c,
            &r,
            json!({"content": content, "role": "system"}),
        )
        .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
    }
    let long = "x".repeat(100_001);
    for (body, field) in [
        (json!({"content": "   \n\t"}), "content"),
        (json!({"content": ""}), "content"),
        (json!({"content": long.clone()}), "content"),
        (json!({"content": "hi", "role": "assistant"}), "role"),
        (json!({"content": "hi", "role": "tool"}), "role"),
    ] {
        for answer in [
            post_root(&server, &mut olga.c, &conv, body.clone()).await,
            post_reply(&server, &mut olga.c, &r, body.clone()).await,
        ] {
            answer.assert_problem(400, "validation_failed");
            assert_eq!(answer.body["details"]["field"], field, "{}", answer.body);
            if body["role"] == "assistant" {
                assert_eq!(
                    answer.body["message"],
                    "role assistant is reserved for replies generated by the server"
                );
            }
            if field == "content" && body["content"] == long.as_str() {
                let message = answer.body["message"].as_str().unwrap();
                assert!(message.contains("100000"), "the limit: {message}");
            }
        }
    }
    for body in [
        json!({"content": "hi", "provider": "openai"}),
        json!({"content": "hi", "model": "gpt-4o-mini"}),
    ] {
        post_root(&server, &mut olga.c, &conv, body.clone())
            .await
            .assert_problem(400, "validation_failed");
        post_reply(&server, &mut olga.c, &r, body)
            .await
            .assert_problem(400, "validation_failed");
    }
    for (body, field, reason) in [
        (json!({}), "content", "missing"),
        (json!({"content": null}), "content", "missing"),
        (json!({"content": 5}), "content", "invalid_type"),
        (
            json!({"content": "hi", "role": "robot"}),
            "role",
            "invalid_value",
        ),
        (
            json!({"content": "hi", "provider": "gemini", "model": "m"}),
            "provider",
            "invalid_value",
        ),
    ] {
        for answer in [
            post_root(&server, &mut olga.c, &conv, body.clone()).await,
            post_reply(&server, &mut olga.c, &r, body.clone()).await,
        ] {
            answer.assert_problem(422, "invalid_request");
            assert_eq!(
                answer.body["details"],
                json!({"field": field, "reason": reason}),
                "{body}"
            );
        }
    }
    // A viewer is refused before the content rules.
    for body in [json!({"content": "hi"}), json!({"content": "  "})] {
        post_root(&server, &mut vic.c, &conv, body.clone())
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
        post_reply(&server, &mut vic.c, &r, body)
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    }
    // Nothing refused was stored.
    assert_eq!(tree(&mut olga.c, &r).await.len(), 3);
    let listed = olga
        .c
        .get(&format!("/api/conversations/{conv}/threads"))
        .await;
    assert_eq!(listed.body["threads"].as_array().unwrap().len(), 1);

    // Parents: unknown is 404, deleted is fine.
    let missing = post_reply(
        &server,
        &mut olga.c,
        &unknown_id(),
        json!({"content": "hi"}),
    )
    .await;
    missing.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(missing.body["message"], "parent message not found");
    post_root(
        &server,
        &mut olga.c,
        &unknown_id(),
        json!({"content": "hi"}),
    )
    .await
    .assert_problem(404, "RGP.NOT_FOUND");
    let doomed = system_reply(&server, &mut olga.c, &r, "doomed").await;
    let deleted = olga
        .c
        .post_empty(&format!("/api/messages/{doomed}/delete"))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let under = system_reply(&server, &mut olga.c, &doomed, "still").await;
    assert_eq!(message(&mut olga.c, &r, &under).await["parent_id"], doomed);

    for (path, field) in [
        ("/api/threads/not-a-uuid/root", "conversation_id"),
        ("/api/messages/not-a-uuid/reply", "parent_id"),
    ] {
        let bad = olga.c.post(path, json!({"content": "hi"})).await;
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], field, "{path}");
    }
    let mut no_csrf = without_csrf(&mut olga.c).await;
    no_csrf
        .post(
            &format!("/api/threads/{conv}/root"),
            json!({"content": "hi"}),
        )
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
}

async fn edit(c: &mut Client, id: &str, body: Value) -> crate::accounts::kit::Answer {
    c.post(&format!("/api/messages/{id}/edit"), body).await
}

async fn authors_edit_their_messages(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut mia = user(&server, "mia").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &mia.id, "member").await;
    let r = system_root(&server, &mut mia.c, &conv, "draft").await;
    let before = message(&mut olga.c, &r, &r).await;
    assert!(before.get("edited_at").is_none(), "{before}");

    server.clock.advance_ms(1_000);
    let edited = edit(
        &mut mia.c,
        &r,
        json!({"content": " final ", "reason": "typo"}),
    )
    .await;
    assert_eq!(edited.status, 204, "{}", edited.body);
    let after = message(&mut olga.c, &r, &r).await;
    assert_eq!(after["content"], " final ");
    assert_eq!(after["edited_at"], ts(now_ms(&server)));
    assert_eq!(after["created_at"], before["created_at"]);
    assert_eq!(after["path"], before["path"]);
    assert!(after.get("deleted_at").is_none());
    let ok = edit(
        &mut mia.c,
        &r,
        json!({"content": "again", "reason": "r".repeat(512)}),
    )
    .await;
    assert_eq!(ok.status, 204, "{}", ok.body);

    for (body, field) in [
        (json!({"content": "  "}), "content"),
        (json!({"content": "x".repeat(100_001)}), "content"),
        (
            json!({"content": "ok", "reason": "r".repeat(513)}),
            "reason",
        ),
    ] {
        let refused = edit(&mut mia.c, &r, body).await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.body["details"]["field"], field);
    }
    let missing = edit(&mut mia.c, &r, json!({"reason": "x"})).await;
    missing.assert_problem(422, "invalid_request");
    assert_eq!(
        missing.body["details"],
        json!({"field": "content", "reason": "missing"})
    );
    assert_eq!(message(&mut olga.c, &r, &r).await["content"], "again");

    // Only the author, while they may post.
    edit(&mut olga.c, &r, json!({"content": "owner's"}))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    add(&mut olga.c, &conv, &mia.id, "viewer").await;
    edit(&mut mia.c, &r, json!({"content": "as viewer"}))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    add(&mut olga.c, &conv, &mia.id, "member").await;
    let path = format!("/api/admin/users/{}", mia.id);
    let demoted = server
        .service()
        .patch(&path, json!({"roles": ["read_only"]}))
        .await;
    assert_eq!(demoted.status, 200, "{}", demoted.body);
    edit(&mut mia.c, &r, json!({"content": "as read_only"}))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    server
        .service()
        .patch(&path, json!({"roles": ["member"]}))
        .await;
    assert_eq!(
        edit(&mut mia.c, &r, json!({"content": "back"}))
            .await
            .status,
        204
    );
    assert_eq!(message(&mut olga.c, &r, &r).await["content"], "back");

    // Never an assistant reply.
    let asked = user_root(&server, &mut mia.c, &conv, "question").await;
    let reply = asked["assistant_message_id"].as_str().unwrap();
    for c in [&mut olga.c, &mut mia.c] {
        edit(c, reply, json!({"content": "words in its mouth"}))
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    }

    // A deleted message: 409 for its author, 403 (first) for others.
    let gone = system_reply(&server, &mut mia.c, &r, "to delete").await;
    assert_eq!(
        mia.c
            .post_empty(&format!("/api/messages/{gone}/delete"))
            .await
            .status,
        204
    );
    for body in [json!({"content": "revived"}), json!({"content": "  "})] {
        let refused = edit(&mut mia.c, &gone, body).await;
        refused.assert_problem(409, "RGP.CONFLICT");
        assert_eq!(refused.body["message"], "message deleted");
    }
    edit(&mut olga.c, &gone, json!({"content": "x"}))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    edit(&mut mia.c, &unknown_id(), json!({"content": "x"}))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    let bad = edit(&mut mia.c, "not-a-uuid", json!({"content": "x"})).await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "message_id");
}

async fn deleted_messages_are_blanked_until_restored(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut mia = user(&server, "mia").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &mia.id, "member").await;
    let r = system_root(&server, &mut olga.c, &conv, "root").await;
    let m = system_reply(&server, &mut mia.c, &r, "hello").await;
    let k = system_reply(&server, &mut olga.c, &m, "below").await;
    let before = tree(&mut olga.c, &r).await;

    server.clock.advance_ms(1_000);
    let deleted_at = ts(now_ms(&server));
    let deleted = mia.c.post_empty(&format!("/api/messages/{m}/delete")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let after = tree(&mut olga.c, &r).await;
    assert_eq!(ids(&after), ids(&before), "it keeps its place");
    let gone = &after[1];
    assert_eq!(gone["content"], "");
    assert_eq!(gone["deleted_at"], deleted_at);
    assert_eq!(gone["path"], before[1]["path"]);
    assert_eq!(gone["author_user_id"], mia.id);
    assert_eq!(after[2]["content"], "below");
    assert_eq!(after[2]["parent_id"], m);

    // Deleting again changes nothing; a reason may be given.
    server.clock.advance_ms(1_000);
    let again = mia
        .c
        .post(
            &format!("/api/messages/{m}/delete"),
            json!({"reason": "sure"}),
        )
        .await;
    assert_eq!(again.status, 204, "{}", again.body);
    assert_eq!(message(&mut olga.c, &r, &m).await["deleted_at"], deleted_at);

    // Restored: the original content returns.
    let restored = mia
        .c
        .post_empty(&format!("/api/messages/{m}/restore"))
        .await;
    assert_eq!(restored.status, 204, "{}", restored.body);
    let back = message(&mut mia.c, &r, &m).await;
    assert_eq!(back["content"], "hello");
    assert!(back.get("deleted_at").is_none(), "{back}");
    assert_eq!(back, before[1]);
    // Restoring what is not deleted: nothing changes.
    let noop = mia
        .c
        .post_empty(&format!("/api/messages/{m}/restore"))
        .await;
    assert_eq!(noop.status, 204, "{}", noop.body);
    assert_eq!(message(&mut mia.c, &r, &m).await, before[1]);

    // An edit survives a delete and a restore.
    server.clock.advance_ms(1_000);
    let edited = olga
        .c
        .post(
            &format!("/api/messages/{k}/edit"),
            json!({"content": "edited"}),
        )
        .await;
    assert_eq!(edited.status, 204, "{}", edited.body);
    let edited_at = message(&mut olga.c, &r, &k).await["edited_at"].clone();
    assert!(
        olga.c
            .post_empty(&format!("/api/messages/{k}/delete"))
            .await
            .status
            == 204
    );
    let hidden = message(&mut mia.c, &r, &k).await;
    assert_eq!(hidden["content"], "");
    assert_eq!(hidden["edited_at"], edited_at);
    olga.c
        .post_empty(&format!("/api/messages/{k}/restore"))
        .await;
    let shown = message(&mut mia.c, &r, &k).await;
    assert_eq!(shown["content"], "edited");
    assert_eq!(shown["edited_at"], edited_at);
    assert!(shown.get("deleted_at").is_none());

    // A deleted root: its thread reads on, blanked.
    assert_eq!(
        olga.c
            .post_empty(&format!("/api/messages/{r}/delete"))
            .await
            .status,
        204
    );
    let t = tree(&mut mia.c, &r).await;
    assert_eq!(t.len(), 3);
    assert_eq!(t[0]["content"], "");
    assert!(t[0].get("deleted_at").is_some());

    for action in ["delete", "restore"] {
        olga.c
            .post_empty(&format!("/api/messages/{}/{action}", unknown_id()))
            .await
            .assert_problem(404, "RGP.NOT_FOUND");
        let bad = olga
            .c
            .post_empty(&format!("/api/messages/not-a-uuid/{action}"))
            .await;
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], "message_id");
    }
}

async fn chunks_of_messages_without_text_are_empty(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let asked = user_root(&server, &mut olga.c, &conv, "question").await;
    let post = asked["message_id"].as_str().unwrap();
    let reply = asked["assistant_message_id"].as_str().unwrap();
    for id in [post, reply] {
        for query in ["", "?from=0", "?from=-3", "?from=2&limit=10", "?limit=0"] {
            let got = olga
                .c
                .get(&format!("/api/messages/{id}/chunks{query}"))
                .await;
            assert_eq!(got.status, 200, "{query}: {}", got.body);
            assert_eq!(got.body, json!([]), "{query}");
        }
    }
    for (query, field) in [("?from=abc", "from"), ("?limit=x", "limit")] {
        let bad = olga
            .c
            .get(&format!("/api/messages/{reply}/chunks{query}"))
            .await;
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], field, "{query}");
    }
    olga.c
        .get(&format!("/api/messages/{}/chunks", unknown_id()))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    let bad = olga.c.get("/api/messages/not-a-uuid/chunks").await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "message_id");
}
