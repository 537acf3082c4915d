//! Thread lists (§2.2 `ThreadSummary`, §4.7): what a summary says, the
//! order by latest activity, and the `after`/`next_after` keyset cursor.

use serde_json::{Value, json};

use super::{
    add, create_conversation, keys, start, system_reply, system_root, tree, user, user_root,
};
use crate::accounts::kit::{Backend, Client, both_backends};

both_backends!(
    threads_summarise_their_root_and_activity,
    threads_page_by_activity_with_after,
);

async fn threads(c: &mut Client, conv: &str, query: &str) -> Value {
    let got = c
        .get(&format!("/api/conversations/{conv}/threads{query}"))
        .await;
    assert_eq!(got.status, 200, "{query}: {}", got.body);
    got.body
}

fn roots(page: &Value) -> Vec<String> {
    page["threads"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|t| t["root_id"].as_str().unwrap().to_string())
        .collect()
}

/// The summary of thread `root` in a page.
fn summary<'a>(page: &'a Value, root: &str) -> &'a Value {
    page["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["root_id"] == root)
        .unwrap_or_else(|| panic!("no thread {root} in {page}"))
}

async fn created_at(c: &mut Client, root: &str, id: &str) -> Value {
    tree(c, root)
        .await
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap()["created_at"]
        .clone()
}

async fn threads_summarise_their_root_and_activity(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let bob = user(&server, "bob").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    assert_eq!(
        threads(&mut olga.c, &conv, "").await,
        json!({"threads": []})
    );

    let long = format!(" \n {} \t", "é".repeat(300));
    let first = system_root(&server, &mut olga.c, &conv, &long).await;
    let second = system_root(&server, &mut ann.c, &conv, "  second  ").await;
    let page = threads(&mut olga.c, &conv, "").await;
    assert_eq!(keys(&page), ["threads"], "{page}");
    assert_eq!(roots(&page), [second.as_str(), first.as_str()]);
    let s = summary(&page, &first);
    assert_eq!(
        keys(s),
        [
            "created_at",
            "last_activity_at",
            "message_count",
            "participant_count",
            "root_author",
            "root_excerpt",
            "root_id",
        ]
    );
    assert_eq!(
        s["root_excerpt"],
        "é".repeat(240),
        "240 characters, trimmed"
    );
    assert_eq!(s["root_author"], olga.id);
    let first_at = created_at(&mut olga.c, &first, &first).await;
    assert_eq!(s["created_at"], first_at);
    assert_eq!(s["last_activity_at"], first_at);
    assert_eq!(s["message_count"], 1);
    assert_eq!(s["participant_count"], 2);
    let s = summary(&page, &second);
    assert_eq!(s["root_excerpt"], "second");
    assert_eq!(s["root_author"], ann.id);

    // Replies move their thread to the top.
    let x = system_reply(&server, &mut ann.c, &first, "x").await;
    let y = system_reply(&server, &mut olga.c, &x, "y").await;
    let y_at = created_at(&mut olga.c, &first, &y).await;
    let page = threads(&mut ann.c, &conv, "").await;
    assert_eq!(roots(&page), [first.as_str(), second.as_str()]);
    let s = summary(&page, &first);
    assert_eq!(s["last_activity_at"], y_at);
    assert_eq!(s["created_at"], first_at);
    assert_eq!(s["message_count"], 3);

    // Deleted messages still count; a deleted root has no excerpt.
    for id in [&y, &first] {
        let deleted = olga
            .c
            .post_empty(&format!("/api/messages/{id}/delete"))
            .await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
    }
    let page = threads(&mut olga.c, &conv, "").await;
    assert_eq!(roots(&page), [first.as_str(), second.as_str()]);
    let s = summary(&page, &first);
    assert_eq!(s["root_excerpt"], "");
    assert_eq!(s["root_author"], olga.id);
    assert_eq!(s["message_count"], 3);
    assert_eq!(s["last_activity_at"], y_at);

    // The participant count is the conversation's.
    add(&mut olga.c, &conv, &bob.id, "viewer").await;
    let page = threads(&mut olga.c, &conv, "").await;
    for root in [&first, &second] {
        assert_eq!(summary(&page, root)["participant_count"], 3);
    }

    // A user post's assistant reply is a message of its thread.
    let asked = user_root(&server, &mut ann.c, &conv, "question").await;
    let root = asked["message_id"].as_str().unwrap();
    let reply = asked["assistant_message_id"].as_str().unwrap();
    let reply_at = created_at(&mut ann.c, root, reply).await;
    let page = threads(&mut olga.c, &conv, "").await;
    assert_eq!(roots(&page)[0], root);
    let s = summary(&page, root);
    assert_eq!(s["message_count"], 2);
    assert_eq!(s["last_activity_at"], reply_at);
    assert_eq!(s["root_excerpt"], "question");
}

async fn threads_page_by_activity_with_after(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let mut r = Vec::new();
    for n in 1..=5 {
        r.push(system_root(&server, &mut olga.c, &conv, &format!("thread {n}")).await);
    }
    let (r1, r2, r3, r4, r5) = (
        r[0].as_str(),
        r[1].as_str(),
        r[2].as_str(),
        r[3].as_str(),
        r[4].as_str(),
    );

    let page = threads(&mut olga.c, &conv, "?limit=2").await;
    assert_eq!(roots(&page), [r5, r4]);
    let after = page["next_after"].as_str().expect("next_after").to_string();
    assert_eq!(after, summary(&page, r4)["last_activity_at"]);
    let page = threads(&mut olga.c, &conv, &format!("?after={after}&limit=2")).await;
    assert_eq!(roots(&page), [r3, r2]);
    let after = page["next_after"].as_str().expect("next_after").to_string();
    assert_eq!(after, summary(&page, r2)["last_activity_at"]);
    let last = threads(&mut olga.c, &conv, &format!("?after={after}&limit=2")).await;
    assert_eq!(roots(&last), [r1]);
    assert!(last.get("next_after").is_none(), "{last}");

    // A full last page is followed by an empty one.
    let all = threads(&mut olga.c, &conv, "?limit=5").await;
    assert_eq!(roots(&all), [r5, r4, r3, r2, r1]);
    let after = all["next_after"].as_str().expect("next_after").to_string();
    let empty = threads(&mut olga.c, &conv, &format!("?after={after}&limit=5")).await;
    assert_eq!(empty, json!({"threads": []}));
    for query in ["", "?limit=0", "?limit=-1", "?limit=6"] {
        let page = threads(&mut olga.c, &conv, query).await;
        assert_eq!(roots(&page).len(), 5, "{query}");
        assert!(page.get("next_after").is_none(), "{query}: {page}");
    }

    // `after` is exclusive, and any RFC 3339 offset names the same instant.
    let r3_at = summary(&all, r3)["last_activity_at"]
        .as_str()
        .unwrap()
        .to_string();
    let page = threads(&mut olga.c, &conv, &format!("?after={r3_at}")).await;
    assert_eq!(roots(&page), [r2, r1]);
    let offset = format!("{}%2B00:00", r3_at.trim_end_matches('Z'));
    let page = threads(&mut olga.c, &conv, &format!("?after={offset}")).await;
    assert_eq!(roots(&page), [r2, r1]);

    // Activity reorders.
    system_reply(&server, &mut olga.c, r1, "bump").await;
    let page = threads(&mut olga.c, &conv, "").await;
    assert_eq!(roots(&page), [r1, r5, r4, r3, r2]);

    for (query, field) in [
        ("?limit=two", "limit"),
        ("?after=yesterday", "after"),
        ("?after=2026-13-45T00:00:00.000Z", "after"),
    ] {
        let bad = olga
            .c
            .get(&format!("/api/conversations/{conv}/threads{query}"))
            .await;
        bad.assert_problem(400, "validation_failed");
        assert_eq!(bad.body["details"]["field"], field, "{query}");
    }
}
