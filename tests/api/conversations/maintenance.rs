//! What every serving process does in the background: ending the replies
//! of a process that died (§5.4 `interrupted`), announcing presence that
//! time changed (§4.9), and ending a reply whose provider failed.

use std::time::Duration;

use serde_json::json;
use sybil_testkit::Reply;

use super::{add, create_conversation, ended, once, post_root, start, start_with_fakes, user};
use crate::accounts::kit::{Backend, both_backends};
use crate::helpers::eventually;

both_backends!(
    a_reply_whose_process_died_is_ended_with_its_text_kept,
    a_provider_failure_ends_the_reply_with_its_error,
    presence_that_time_changes_is_announced_once,
);

async fn a_reply_whose_process_died_is_ended_with_its_text_kept(backend: Backend) {
    let Some((server, fakes)) = start_with_fakes(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Long").await;
    fakes
        .openai
        .push(Reply::hold("Partial answer that never ends", 1));
    let posted = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "go", "provider": "openai", "model": "gpt-4.1-mini"}),
    )
    .await;
    let root = posted.body["message_id"].as_str().unwrap().to_string();
    let reply = posted.body["assistant_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let partial = once(&olga.c, &root, &reply, |m| m["content"] != "").await;
    assert_eq!(partial["status"], "streaming");

    server.app.abandon_reply_for_test(&reply).await;
    let ended = ended(&olga.c, &root, &reply).await;
    assert_eq!(ended["status"], "error");
    assert_eq!(
        ended["error"],
        json!({"code": "interrupted", "message": "the reply was interrupted"})
    );
    assert_eq!(
        ended["content"], partial["content"],
        "the partial text stays"
    );
    let events = server.app.conversation_events(&conv).await;
    let last: Vec<&str> = events
        .iter()
        .rev()
        .take(2)
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(last, ["error", "message.done"]);
}

async fn a_provider_failure_ends_the_reply_with_its_error(backend: Backend) {
    let Some((server, fakes)) = start_with_fakes(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Flaky").await;
    fakes.xai.push(Reply::stream_error(
        "Half of it",
        1,
        "the model is overloaded",
    ));
    let posted = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "go", "provider": "xai", "model": "grok-3"}),
    )
    .await;
    let root = posted.body["message_id"].as_str().unwrap().to_string();
    let reply = posted.body["assistant_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let ended = ended(&olga.c, &root, &reply).await;
    assert_eq!(ended["status"], "error", "{ended}");
    assert_eq!(ended["error"]["code"], "upstream_error");
    let message = ended["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("xai") && message.contains("overloaded"),
        "{message}"
    );
    assert!(
        !message.contains(&fakes.xai.api_key()),
        "no key in the error"
    );
    let rows = server.app.llm_calls().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "error");
}

async fn presence_that_time_changes_is_announced_once(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let statuses = |events: &[crate::helpers::EventRow], who: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.kind == "presence.update" && e.data["payload"]["user_id"] == who)
            .map(|e| e.data["payload"]["status"].as_str().unwrap().to_string())
            .collect()
    };
    // The add announced ann online.
    assert_eq!(
        statuses(&server.app.conversation_events(&conv).await, &ann.id),
        ["online"]
    );
    for (advance, expected) in [
        (46_000, vec!["online", "away"]),
        (255_000, vec!["online", "away", "offline"]),
    ] {
        server.clock.advance_ms(advance);
        let (app, conv, who) = (&server.app, conv.clone(), ann.id.clone());
        let got = eventually(Duration::from_secs(10), || {
            let conv = conv.clone();
            let who = who.clone();
            let expected = expected.clone();
            async move {
                let now = statuses(&app.conversation_events(&conv).await, &who);
                (now == expected).then_some(now)
            }
        })
        .await;
        assert!(got.is_some(), "announced: {expected:?}");
    }
    // A heartbeat brings ann back, announced by the heartbeat itself.
    let mut ann_c = ann.c.clone();
    assert_eq!(
        ann_c
            .post("/api/presence/heartbeat", json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        statuses(&server.app.conversation_events(&conv).await, &ann.id),
        ["online", "away", "offline", "online"]
    );
}
