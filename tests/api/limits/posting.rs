//! The posting limit (§7.5): the `conversation.post` profile limits roots
//! and replies per user and conversation, after the post's own checks;
//! assistant replies are not charged; without the profile, no limit.

use serde_json::{Value, json};

use super::{PROFILES, assign, profile};
use crate::accounts::kit::{Backend, Client, both_backends};
use crate::conversations::{add, create_conversation, start, system_root, user};

both_backends!(
    posts_are_limited_per_user_and_conversation,
    without_the_profile_there_is_no_posting_limit,
);

async fn posting_profile(root: &mut Client) -> String {
    let listed = root.get(PROFILES).await;
    listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "conversation.post")
        .and_then(|p| p["id"].as_str())
        .expect("the migrations make conversation.post")
        .to_string()
}

fn root_of(conv: &str) -> String {
    format!("/api/threads/{conv}/root")
}

async fn threads(c: &mut Client, conv: &str) -> usize {
    let got = c.get(&format!("/api/conversations/{conv}/threads")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body["threads"].as_array().unwrap().len()
}

async fn posts_are_limited_per_user_and_conversation(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut ann = user(&server, "ann").await;
    let bob = user(&server, "bob").await;
    let first = create_conversation(&mut ann.c, "one").await;
    let second = create_conversation(&mut ann.c, "two").await;
    add(&mut ann.c, &first, &bob.id, "member").await;
    let mut bob = bob;
    // Two at once, then one every 2 s.
    let id = posting_profile(&mut root).await;
    let changed = root
        .put(
            &format!("{PROFILES}/{id}"),
            json!({"params": {"burst": 2, "requests_per_second": 0.5}}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    // The route's own limit, roomy: its headers on the answers it decided,
    // the posting limit's on the posting limit's refusal.
    let roomy = profile(&mut root, "roomy", json!({"burst": 100})).await;
    assign(&mut root, &roomy, "POST", "/api/threads/{id}/root").await;

    let system = |text: &str| json!({"content": text, "role": "system"});
    let posted = ann.c.post(&root_of(&first), system("a")).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert_eq!(posted.header("x-ratelimit-profile"), Some("roomy"));
    let parent = posted.body["message_id"].as_str().unwrap().to_string();
    let reply = ann
        .c
        .post(&format!("/api/messages/{parent}/reply"), system("b"))
        .await;
    assert_eq!(
        reply.status, 201,
        "a reply counts as a post: {}",
        reply.body
    );
    // A post that breaks its own rules is refused first, and not charged.
    let blank = ann.c.post(&root_of(&first), json!({"content": "  "})).await;
    blank.assert_problem(400, "validation_failed");

    let refused = ann.c.post(&root_of(&first), system("c")).await;
    refused.assert_problem(429, "RGP.RATE_LIMITED");
    assert_eq!(refused.header("retry-after"), Some("2"));
    assert_eq!(refused.body["details"], json!({"retry_after_seconds": 2}));
    assert_eq!(
        refused.header("x-ratelimit-profile"),
        Some("conversation.post")
    );
    assert_eq!(refused.header("ratelimit-limit"), Some("2"));
    assert_eq!(threads(&mut ann.c, &first).await, 1, "nothing stored");

    let elsewhere = ann.c.post(&root_of(&second), system("d")).await;
    assert_eq!(
        elsewhere.status, 201,
        "another conversation: {}",
        elsewhere.body
    );
    let other = bob.c.post(&root_of(&first), system("e")).await;
    assert_eq!(other.status, 201, "another user: {}", other.body);

    server.clock.advance_ms(2_000);
    let later = ann.c.post(&root_of(&first), system("f")).await;
    assert_eq!(later.status, 201, "refilled: {}", later.body);

    // A `user` post asks for an assistant reply, which is not charged:
    // the next interval admits exactly one more post.
    server.clock.advance_ms(2_000);
    let asked: Value = ann
        .c
        .post(&root_of(&second), json!({"content": "hi"}))
        .await
        .body;
    assert!(asked["assistant_message_id"].is_string(), "{asked}");
    assert_eq!(ann.c.post(&root_of(&second), system("g")).await.status, 201);
}

async fn without_the_profile_there_is_no_posting_limit(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut root = server.admin().await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut ann.c, "one").await;
    let id = posting_profile(&mut root).await;
    // The migrations' profile: a burst of 10.
    for i in 0..10 {
        system_root(&server, &mut ann.c, &conv, &format!("{i}")).await;
    }
    assert_eq!(root.delete(&format!("{PROFILES}/{id}")).await.status, 204);
    for i in 0..15 {
        let posted = ann
            .c
            .post(
                &root_of(&conv),
                json!({"content": format!("{i}"), "role": "system"}),
            )
            .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        assert!(posted.header("ratelimit-limit").is_none());
    }
}
