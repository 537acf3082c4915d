//! Unread counts and read marks (§4.7): what counts as unread for a
//! caller, in creation order, and how marking read moves (only forward).

use serde_json::{Value, json};

use super::{
    add, create_conversation, message, read_only_user, start, system_reply, system_root,
    unknown_id, unread, user, user_reply, user_root, without_csrf,
};
use crate::accounts::kit::{Answer, Backend, Client, both_backends};

both_backends!(
    unread_counts_what_others_wrote_after_the_read_mark,
    read_marks_follow_creation_order_and_never_move_back,
    deleted_messages_and_messages_before_joining_are_not_unread,
    assistant_replies_count_as_unread,
    marking_read_checks_the_root_and_the_path,
);

/// `[(root, unread)]` as [`unread`] returns it.
fn counts(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(r, n)| (r.to_string(), *n)).collect()
}

/// Marks a thread read, without a body or with this one.
async fn mark(c: &mut Client, root: &str, body: Option<Value>) -> Answer {
    let path = format!("/api/threads/{root}/read");
    match body {
        None => c.post_empty(&path).await,
        Some(body) => c.post(&path, body).await,
    }
}

/// Marks read up to the message `id` (by its path), expecting 204.
async fn mark_at(c: &mut Client, root: &str, id: &str) {
    let path = message(c, root, id).await["path"].clone();
    let marked = mark(c, root, Some(json!({"path": path}))).await;
    assert_eq!(marked.status, 204, "{}", marked.body);
}

async fn unread_counts_what_others_wrote_after_the_read_mark(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let mut bob = user(&server, "bob").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    add(&mut olga.c, &conv, &bob.id, "member").await;
    assert!(unread(&mut ann.c, &conv).await.is_empty());

    let r1 = system_root(&server, &mut olga.c, &conv, "one").await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r1, 1)]));
    assert_eq!(unread(&mut bob.c, &conv).await, counts(&[(&r1, 1)]));
    assert!(
        unread(&mut olga.c, &conv).await.is_empty(),
        "one's own messages are never unread"
    );

    let a = system_reply(&server, &mut olga.c, &r1, "a").await;
    system_reply(&server, &mut bob.c, &a, "b").await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r1, 3)]));
    assert_eq!(unread(&mut olga.c, &conv).await, counts(&[(&r1, 1)]));
    assert_eq!(unread(&mut bob.c, &conv).await, counts(&[(&r1, 2)]));

    // Threads by latest activity.
    let r2 = system_root(&server, &mut bob.c, &conv, "two").await;
    assert_eq!(
        unread(&mut ann.c, &conv).await,
        counts(&[(&r2, 1), (&r1, 3)])
    );

    // Marking read without a path: up to the newest message.
    let marked = mark(&mut ann.c, &r1, None).await;
    assert_eq!(marked.status, 204, "{}", marked.body);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r2, 1)]));
    system_reply(&server, &mut olga.c, &r1, "more").await;
    assert_eq!(
        unread(&mut ann.c, &conv).await,
        counts(&[(&r1, 1), (&r2, 1)])
    );
    // `{}` and a null path mean the same.
    assert_eq!(mark(&mut ann.c, &r2, Some(json!({}))).await.status, 204);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r1, 1)]));
    let marked = mark(&mut ann.c, &r1, Some(json!({"path": null}))).await;
    assert_eq!(marked.status, 204, "{}", marked.body);
    assert!(unread(&mut ann.c, &conv).await.is_empty());

    // Ann's own reply counts for the others only.
    system_reply(&server, &mut ann.c, &r1, "mine").await;
    assert!(unread(&mut ann.c, &conv).await.is_empty());
    assert_eq!(
        unread(&mut olga.c, &conv).await,
        counts(&[(&r1, 2), (&r2, 1)])
    );
    assert_eq!(unread(&mut bob.c, &conv).await, counts(&[(&r1, 4)]));
}

async fn read_marks_follow_creation_order_and_never_move_back(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    // Path order r, a, c, b; creation order r, a, b, c.
    let r = system_root(&server, &mut olga.c, &conv, "r").await;
    let a = system_reply(&server, &mut olga.c, &r, "a").await;
    let b = system_reply(&server, &mut olga.c, &r, "b").await;
    let c = system_reply(&server, &mut olga.c, &a, "c").await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 4)]));

    // Up to b: c, created later, is still unread (though it sorts before b).
    mark_at(&mut ann.c, &r, &b).await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 1)]));
    // Up to c: b, created earlier, is read (though it sorts after c).
    mark_at(&mut ann.c, &r, &c).await;
    assert!(unread(&mut ann.c, &conv).await.is_empty());
    // The mark never moves back.
    for earlier in [&b, &a, &r] {
        mark_at(&mut ann.c, &r, earlier).await;
        assert!(unread(&mut ann.c, &conv).await.is_empty(), "{earlier}");
    }
    let d = system_reply(&server, &mut olga.c, &b, "d").await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 1)]));
    mark_at(&mut ann.c, &r, &a).await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 1)]));
    mark_at(&mut ann.c, &r, &d).await;
    assert!(unread(&mut ann.c, &conv).await.is_empty());
}

async fn deleted_messages_and_messages_before_joining_are_not_unread(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let mut carl = user(&server, "carl").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let r = system_root(&server, &mut olga.c, &conv, "r").await;
    let x = system_reply(&server, &mut olga.c, &r, "x").await;
    let y = system_reply(&server, &mut olga.c, &x, "y").await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 3)]));

    let delete = |id: &str| format!("/api/messages/{id}/delete");
    let restore = |id: &str| format!("/api/messages/{id}/restore");
    assert_eq!(olga.c.post_empty(&delete(&y)).await.status, 204);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 2)]));
    assert_eq!(olga.c.post_empty(&delete(&r)).await.status, 204);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 1)]));
    assert_eq!(olga.c.post_empty(&restore(&y)).await.status, 204);
    assert_eq!(olga.c.post_empty(&restore(&r)).await.status, 204);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 3)]));
    // A thread whose unread messages are all deleted is not listed.
    let s = system_root(&server, &mut olga.c, &conv, "s").await;
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&s, 1), (&r, 3)]));
    assert_eq!(olga.c.post_empty(&delete(&s)).await.status, 204);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 3)]));

    // Messages from before one joined are not unread.
    server.clock.advance_ms(1_000);
    add(&mut olga.c, &conv, &carl.id, "member").await;
    assert!(unread(&mut carl.c, &conv).await.is_empty());
    system_reply(&server, &mut olga.c, &y, "z").await;
    assert_eq!(unread(&mut carl.c, &conv).await, counts(&[(&r, 1)]));
    // Nor those from before one last joined.
    let left = carl
        .c
        .delete(&format!(
            "/api/conversations/{conv}/participants/{}",
            carl.id
        ))
        .await;
    assert_eq!(left.status, 204, "{}", left.body);
    system_reply(&server, &mut olga.c, &r, "while away").await;
    server.clock.advance_ms(1_000);
    add(&mut olga.c, &conv, &carl.id, "member").await;
    assert!(unread(&mut carl.c, &conv).await.is_empty());
    system_reply(&server, &mut olga.c, &r, "welcome back").await;
    assert_eq!(unread(&mut carl.c, &conv).await, counts(&[(&r, 1)]));
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 6)]));
}

async fn assistant_replies_count_as_unread(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;

    let asked = user_root(&server, &mut olga.c, &conv, "question").await;
    let r = asked["message_id"].as_str().unwrap().to_string();
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 2)]));
    // The reply to Olga's post is not Olga's.
    assert_eq!(unread(&mut olga.c, &conv).await, counts(&[(&r, 1)]));
    assert_eq!(mark(&mut olga.c, &r, None).await.status, 204);
    assert!(unread(&mut olga.c, &conv).await.is_empty());

    let answered = user_reply(&server, &mut ann.c, &r, "follow-up").await;
    let reply = answered["assistant_message_id"].as_str().unwrap();
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 3)]));
    assert_eq!(unread(&mut olga.c, &conv).await, counts(&[(&r, 2)]));
    // A deleted reply no longer counts.
    let deleted = olga
        .c
        .post_empty(&format!("/api/messages/{reply}/delete"))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&r, 2)]));
    assert_eq!(unread(&mut olga.c, &conv).await, counts(&[(&r, 1)]));
}

async fn marking_read_checks_the_root_and_the_path(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let mut vic = user(&server, "vic").await;
    let mut rita = read_only_user(&server, "rita").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    add(&mut olga.c, &conv, &vic.id, "viewer").await;
    add(&mut olga.c, &conv, &rita.id, "member").await;
    let r = system_root(&server, &mut olga.c, &conv, "r").await;
    let x = system_reply(&server, &mut olga.c, &r, "x").await;
    let s = system_root(&server, &mut olga.c, &conv, "s").await;
    let r_path = message(&mut olga.c, &r, &r).await["path"]
        .as_str()
        .unwrap()
        .to_string();
    let s_path = message(&mut olga.c, &s, &s).await["path"]
        .as_str()
        .unwrap()
        .to_string();

    // Only roots.
    let unknown = unknown_id();
    for id in [x.as_str(), unknown.as_str()] {
        let missing = mark(&mut ann.c, id, None).await;
        missing.assert_problem(404, "RGP.NOT_FOUND");
        assert_eq!(missing.body["message"], "thread root not found");
    }
    // Only a path of this thread.
    for path in [
        s_path.clone(),
        "xyz".to_string(),
        format!("{r_path}.00000000000000ff"),
        r_path.to_uppercase() + "A",
    ] {
        let refused = mark(&mut ann.c, &r, Some(json!({"path": path}))).await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.body["details"]["field"], "path", "{path}");
    }
    let typed = mark(&mut ann.c, &r, Some(json!({"path": 5}))).await;
    typed.assert_problem(422, "invalid_request");
    assert_eq!(
        typed.body["details"],
        json!({"field": "path", "reason": "invalid_type"})
    );
    let bad = mark(&mut ann.c, "not-a-uuid", None).await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "root_id");
    let mut no_csrf = without_csrf(&mut ann.c).await;
    mark(&mut no_csrf, &r, None)
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    // None of that moved Ann's mark.
    assert_eq!(unread(&mut ann.c, &conv).await, counts(&[(&s, 1), (&r, 2)]));

    // Viewers and read_only users mark read too.
    for c in [&mut vic.c, &mut rita.c] {
        assert_eq!(unread(c, &conv).await, counts(&[(&s, 1), (&r, 2)]));
        let marked = mark(c, &r, Some(json!({"path": r_path}))).await;
        assert_eq!(marked.status, 204, "{}", marked.body);
        assert_eq!(unread(c, &conv).await, counts(&[(&s, 1), (&r, 1)]));
        assert_eq!(mark(c, &s, None).await.status, 204);
        assert_eq!(unread(c, &conv).await, counts(&[(&r, 1)]));
    }
}
