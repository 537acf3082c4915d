//! The stream's events (§6.2, §6.3) as each change records them, in its own
//! transaction: read back from `conversation_events` in id order.

use serde_json::{Value, json};

use super::{add, create_conversation, start, system_reply, system_root, user, user_reply};
use crate::accounts::kit::{Backend, both_backends};
use crate::helpers::EventRow;

both_backends!(every_change_records_its_events_in_the_contracts_order,);

fn kinds(events: &[EventRow]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

/// The events after the first `seen`, and how many there are now.
fn since(events: &[EventRow], seen: usize) -> &[EventRow] {
    &events[seen..]
}

fn payload(e: &EventRow) -> &Value {
    assert_eq!(e.data["type"], e.kind, "{:?}", e.data);
    &e.data["payload"]
}

async fn every_change_records_its_events_in_the_contracts_order(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let app = &server.app;
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let olga_id = uuid::Uuid::parse_str(&olga.id).unwrap();
    let ann_id = uuid::Uuid::parse_str(&ann.id).unwrap();
    let conv = create_conversation(&mut olga.c, "Team").await;
    assert!(
        app.conversation_events(&conv).await.is_empty(),
        "creating emits nothing"
    );

    // An add: the membership, then the target's presence.
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let events = app.conversation_events(&conv).await;
    assert_eq!(kinds(&events), ["membership.changed", "presence.update"]);
    assert_eq!(
        payload(&events[0]),
        &json!({"conversation_id": conv, "user_id": ann.id, "role": "member", "action": "added"})
    );
    assert_eq!(payload(&events[1])["user_id"], ann.id);
    assert_eq!(payload(&events[1])["status"], "online");
    let mut seen = events.len();

    // A root: the new thread, its activity, the others' unread counts.
    let root = system_root(&server, &mut ann.c, &conv, "the plan").await;
    let events = app.conversation_events(&conv).await;
    let new = since(&events, seen);
    assert_eq!(
        kinds(new),
        ["thread.new", "thread.activity", "unread.update"]
    );
    let summary = &payload(&new[0])["summary"];
    assert_eq!(summary["root_id"], root);
    assert_eq!(summary["root_excerpt"], "the plan");
    assert_eq!(summary["message_count"], 1);
    assert_eq!(summary["participant_count"], 2);
    assert_eq!(payload(&new[1])["root_id"], root);
    assert_eq!(
        new[2].recipient,
        Some(olga_id),
        "unread counts go to their user"
    );
    assert_eq!(payload(&new[2]), &json!({"root_id": root, "unread": 1}));
    seen = events.len();

    // Typing, then a reply that ends it: typing.update says it stopped.
    let typed = ann
        .c
        .post(
            "/api/typing",
            json!({"conversation_id": conv, "root_id": root, "seconds": 10}),
        )
        .await;
    assert_eq!(typed.status, 204, "{}", typed.body);
    let answer = system_reply(&server, &mut ann.c, &root, "step one").await;
    let events = app.conversation_events(&conv).await;
    let new = since(&events, seen);
    assert_eq!(
        kinds(new),
        [
            "typing.update",
            "thread.activity",
            "typing.update",
            "unread.update"
        ]
    );
    assert_eq!(new[0].excluded, Some(ann_id), "typing goes to the others");
    assert_eq!(new[2].excluded, Some(ann_id));
    assert!(
        payload(&new[2])["expires_at"].as_str() < payload(&new[0])["expires_at"].as_str(),
        "stopping typing moves its end to now"
    );
    assert_eq!(payload(&new[3]), &json!({"root_id": root, "unread": 2}));
    seen = events.len();

    // A user post: its events, then the reply's start and its end (no model).
    let posted = user_reply(&server, &mut olga.c, &root, "what next?").await;
    let reply = posted["assistant_message_id"].as_str().unwrap();
    let events = app.conversation_events(&conv).await;
    let new = since(&events, seen);
    assert_eq!(
        kinds(new),
        [
            "thread.activity",
            "unread.update",
            "thread.activity",
            "unread.update",
            "unread.update",
            "message.done",
            "error",
        ]
    );
    assert_eq!(
        (new[1].recipient, payload(&new[1])["unread"].clone()),
        (Some(ann_id), json!(1))
    );
    // The reply counts for everyone, by joined_at: olga, then ann.
    assert_eq!(
        (new[3].recipient, payload(&new[3])["unread"].clone()),
        (Some(olga_id), json!(3))
    );
    assert_eq!(
        (new[4].recipient, payload(&new[4])["unread"].clone()),
        (Some(ann_id), json!(2))
    );
    assert_eq!(
        payload(&new[5]),
        &json!({"message_id": reply, "root_id": root, "conversation_id": conv, "finish_reason": "error"})
    );
    assert_eq!(payload(&new[6])["code"], "no_model");
    assert_eq!(payload(&new[6])["message_id"], reply);
    seen = events.len();

    // Edit, delete and restore: the message after the change, then the
    // unread counts that moved (only olga's: the message is ann's own).
    let edited = ann
        .c
        .post(
            &format!("/api/messages/{answer}/edit"),
            json!({"content": "step one, revised"}),
        )
        .await;
    assert_eq!(edited.status, 204, "{}", edited.body);
    assert_eq!(
        olga.c
            .post_empty(&format!("/api/messages/{answer}/delete"))
            .await
            .status,
        204
    );
    assert_eq!(
        olga.c
            .post_empty(&format!("/api/messages/{answer}/restore"))
            .await
            .status,
        204
    );
    let events = app.conversation_events(&conv).await;
    let new = since(&events, seen);
    assert_eq!(
        kinds(new),
        [
            "message.updated",
            "message.updated",
            "unread.update",
            "message.updated",
            "unread.update",
        ]
    );
    assert_eq!(payload(&new[0])["action"], "edited");
    assert_eq!(payload(&new[0])["message"]["content"], "step one, revised");
    assert_eq!(payload(&new[1])["action"], "deleted");
    assert_eq!(
        payload(&new[1])["message"]["content"],
        "",
        "deleted text is not sent"
    );
    assert_eq!(
        (new[2].recipient, payload(&new[2])["unread"].clone()),
        (Some(olga_id), json!(2))
    );
    assert_eq!(payload(&new[3])["action"], "restored");
    assert_eq!(payload(&new[3])["message"]["content"], "step one, revised");
    assert_eq!(
        (new[4].recipient, payload(&new[4])["unread"].clone()),
        (Some(olga_id), json!(3))
    );
    seen = events.len();

    // Mark read (the caller only), a presence change, a removal.
    assert_eq!(
        olga.c
            .post_empty(&format!("/api/threads/{root}/read"))
            .await
            .status,
        204
    );
    let away = olga
        .c
        .post("/api/presence/heartbeat", json!({"status": "away"}))
        .await;
    assert_eq!(away.status, 204);
    let same = olga
        .c
        .post("/api/presence/heartbeat", json!({"status": "away"}))
        .await;
    assert_eq!(
        same.status, 204,
        "a heartbeat that changes nothing sends nothing"
    );
    let removed = olga
        .c
        .delete(&format!(
            "/api/conversations/{conv}/participants/{}",
            ann.id
        ))
        .await;
    assert_eq!(removed.status, 204);
    let events = app.conversation_events(&conv).await;
    let new = since(&events, seen);
    assert_eq!(
        kinds(new),
        ["unread.update", "presence.update", "membership.changed"]
    );
    assert_eq!(
        (new[0].recipient, payload(&new[0])["unread"].clone()),
        (Some(olga_id), json!(0))
    );
    assert_eq!(payload(&new[1])["status"], "away");
    assert_eq!(payload(&new[1])["user_id"], olga.id);
    assert_eq!(
        payload(&new[2]),
        &json!({"conversation_id": conv, "user_id": ann.id, "role": "member", "action": "removed"})
    );

    // Ids count from 1 without a gap in one conversation.
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=events.len() as i64).collect::<Vec<_>>());
}
