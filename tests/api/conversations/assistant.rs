//! Assistant replies on the completion engine (§5): each provider's fake
//! with a tool round, the thread's ancestry as the history, a cancel that
//! kills a running devbox command, and concurrent replies into one thread.

use std::time::Duration;

use serde_json::{Value, json};
use sybil_testkit::sshd::{Beacon, sshd};
use sybil_testkit::{FakeExa, Reply};

use super::{add, create_conversation, ended, post_root, start_with_fakes, tree, user, user_reply};
use crate::accounts::kit::{Backend, Client, Server, both_backends};
use crate::helpers::{Fakes, devbox_env};

both_backends!(
    replies_stream_through_each_provider_with_a_tool_round,
    the_history_is_the_threads_ancestry,
    concurrent_replies_into_one_thread_lose_nothing,
);

/// A server on fresh provider fakes and a fake Exa (`web_search`).
async fn server_with_fakes(
    backend: Backend,
    extra: &[(&str, &str)],
) -> Option<(Server, Fakes, FakeExa)> {
    let exa = FakeExa::start().await;
    let (key, url) = (exa.api_key(), exa.base_url());
    let mut vars = vec![
        ("EXA_API_KEY", key.as_str()),
        ("EXA_BASE_URL", url.as_str()),
    ];
    vars.extend_from_slice(extra);
    let (server, fakes) = start_with_fakes(backend, &vars).await?;
    Some((server, fakes, exa))
}

async fn chunks(c: &mut Client, reply: &str) -> Vec<Value> {
    let got = c.get(&format!("/api/messages/{reply}/chunks")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body.as_array().unwrap().clone()
}

async fn replies_stream_through_each_provider_with_a_tool_round(backend: Backend) {
    let Some((server, fakes, _exa)) = server_with_fakes(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Research").await;
    let mut replies = Vec::new();
    for (provider, fake, tools) in [
        ("openai", &fakes.openai, true),
        ("xai", &fakes.xai, true),
        // Anthropic runs without server-side tools, as on /v1.
        ("anthropic", &fakes.anthropic, false),
    ] {
        if tools {
            fake.push(
                Reply::tool_calls(&[("web_search", r#"{"query":"rust"}"#)])
                    .with_text("Let me look."),
            );
        }
        fake.push(Reply::text("Rust is a language."));
        let posted = post_root(
            &server,
            &mut olga.c,
            &conv,
            json!({"content": "What is Rust?", "provider": provider, "model": "m-1"}),
        )
        .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        let root = posted.body["message_id"].as_str().unwrap();
        let reply_id = posted.body["assistant_message_id"].as_str().unwrap();
        replies.push(uuid::Uuid::parse_str(reply_id).unwrap());
        let reply = ended(&olga.c, root, reply_id).await;
        let expected = if tools {
            "Let me look.\n\nRust is a language."
        } else {
            "Rust is a language."
        };
        assert_eq!(reply["status"], "completed", "{provider}: {reply}");
        assert_eq!(reply["content"], expected, "{provider}");
        assert_eq!(reply["provider"], provider);
        assert_eq!(reply["model"], "m-1");
        assert_eq!(reply["parent_id"], root);
        assert!(reply.get("author_user_id").is_none());
        let pieces = chunks(&mut olga.c, reply_id).await;
        let joined: String = pieces
            .iter()
            .map(|c| c["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            joined, expected,
            "{provider}: the chunks joined are the content"
        );
        let idx: Vec<u64> = pieces.iter().map(|c| c["idx"].as_u64().unwrap()).collect();
        assert_eq!(idx, (0..pieces.len() as u64).collect::<Vec<_>>());
        let calls = fake.generation_requests();
        assert_eq!(calls.len(), if tools { 2 } else { 1 }, "{provider}");
        let sent = calls[0].body.to_string();
        assert!(sent.contains("What is Rust?"), "{provider}: {sent}");
    }
    let rows = server.app.llm_calls().await;
    assert_eq!(rows.len(), 3, "one LlmCall row per reply: {rows:?}");
    assert!(rows.iter().all(|r| r.status == "ok" && !r.has_chat));
    let conv_id = uuid::Uuid::parse_str(&conv).unwrap();
    assert!(rows.iter().all(|r| r.conversation_id == Some(conv_id)));
    let answered: Vec<uuid::Uuid> = rows.iter().filter_map(|r| r.message_id).collect();
    assert_eq!(answered, replies, "each row names its reply");
    let rounds: Vec<i32> = rows.iter().map(|r| r.tool_rounds).collect();
    assert_eq!(rounds, [1, 1, 0]);
}

async fn the_history_is_the_threads_ancestry(backend: Backend) {
    let Some((server, fakes, _exa)) = server_with_fakes(
        backend,
        &[
            ("ASSISTANT_DEFAULT_PROVIDER", "openai"),
            ("ASSISTANT_DEFAULT_MODEL", "gpt-4.1-mini"),
        ],
    )
    .await
    else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "History").await;
    fakes.openai.push(Reply::text("First answer."));
    let first = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "Question one"}),
    )
    .await;
    let root = first.body["message_id"].as_str().unwrap().to_string();
    let answer = first.body["assistant_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    ended(&olga.c, &root, &answer).await;
    // A sibling branch that must not leak into the other branch's history,
    // and a deleted ancestor that is left out.
    let aside = user_reply(&server, &mut olga.c, &root, "An aside").await;
    ended(
        &olga.c,
        &root,
        aside["assistant_message_id"].as_str().unwrap(),
    )
    .await;
    let gone = user_reply(&server, &mut olga.c, &answer, "Withdrawn").await;
    let gone_id = gone["message_id"].as_str().unwrap();
    ended(
        &olga.c,
        &root,
        gone["assistant_message_id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        olga.c
            .post_empty(&format!("/api/messages/{gone_id}/delete"))
            .await
            .status,
        204
    );
    fakes.openai.push(Reply::text("Second answer."));
    let second = user_reply(&server, &mut olga.c, gone_id, "Question two").await;
    let reply = ended(
        &olga.c,
        &root,
        second["assistant_message_id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(reply["content"], "Second answer.");

    let last = fakes.openai.generation_requests().pop().unwrap().body;
    let input = last["input"].to_string();
    let at = |text: &str| input.find(text);
    assert!(at("Question one") < at("First answer."), "{input}");
    assert!(at("First answer.") < at("Question two"), "{input}");
    assert!(at("Question one").is_some() && at("Question two").is_some());
    assert_eq!(
        at("An aside"),
        None,
        "another branch is not history: {input}"
    );
    assert_eq!(
        at("Withdrawn"),
        None,
        "a deleted ancestor is left out: {input}"
    );
}

async fn concurrent_replies_into_one_thread_lose_nothing(backend: Backend) {
    let Some((server, _fakes, _exa)) = server_with_fakes(
        backend,
        &[
            ("ASSISTANT_DEFAULT_PROVIDER", "xai"),
            ("ASSISTANT_DEFAULT_MODEL", "grok-3"),
        ],
    )
    .await
    else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Busy").await;
    let mut others = Vec::new();
    for name in ["ann", "bob", "cat"] {
        let u = user(&server, name).await;
        add(&mut olga.c, &conv, &u.id, "member").await;
        others.push(u);
    }
    let root = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "Go", "role": "system"}),
    )
    .await
    .body["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let posts = others.iter().flat_map(|u| {
        (0..3).map(|i| {
            let mut c = u.c.clone();
            let (root, who) = (root.clone(), u.id.clone());
            async move {
                let got = c
                    .post(
                        &format!("/api/messages/{root}/reply"),
                        json!({"content": format!("{who} #{i}")}),
                    )
                    .await;
                assert_eq!(got.status, 201, "{}", got.body);
                got.body
            }
        })
    });
    let posted: Vec<Value> = futures::future::join_all(posts).await;
    for p in &posted {
        ended(&olga.c, &root, p["assistant_message_id"].as_str().unwrap()).await;
    }
    let all = tree(&mut olga.c, &root).await;
    // The root, nine posts and nine replies, each once.
    assert_eq!(all.len(), 19);
    let mut ids: Vec<&str> = all.iter().map(|m| m["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 19);
    for p in &posted {
        let reply = all
            .iter()
            .find(|m| m["id"] == p["assistant_message_id"])
            .unwrap();
        assert_eq!(reply["parent_id"], p["message_id"]);
        assert_eq!(reply["status"], "completed", "{reply}");
        assert_eq!(reply["content"], "Hello from the fake xAI.");
    }
    // Numbers and times increase together, without a repeat.
    let mut numbered: Vec<(u64, &str)> = all
        .iter()
        .map(|m| {
            let label = m["path"].as_str().unwrap().rsplit('.').next().unwrap();
            (
                u64::from_str_radix(label, 16).unwrap(),
                m["created_at"].as_str().unwrap(),
            )
        })
        .collect();
    numbered.sort_unstable();
    assert!(
        numbered
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
        "{numbered:?}"
    );
    let threads = olga
        .c
        .get(&format!("/api/conversations/{conv}/threads"))
        .await;
    assert_eq!(threads.body["threads"][0]["message_count"], 19);
}

#[tokio::test]
async fn cancelling_a_reply_kills_its_devbox_command() {
    let Some(sshd) = sshd() else { return };
    let env = devbox_env(&sshd);
    let devbox: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some((server, fakes, _exa)) = server_with_fakes(Backend::Sqlite, &devbox).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Ops").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;

    let mut beacon = Beacon::new(&sshd.path("beacon"));
    let finished = sshd.path("finished");
    let command = format!("{}sleep 60; touch '{}'", beacon.open(), finished.display());
    fakes.openai.push(
        Reply::tool_calls(&[("shell_exec", &json!({ "command": command }).to_string())])
            .with_text("Running it."),
    );
    let posted = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "run it", "provider": "openai", "model": "gpt-4.1-mini"}),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let root = posted.body["message_id"].as_str().unwrap().to_string();
    let reply = posted.body["assistant_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        beacon.started(Duration::from_secs(10)).await,
        "the remote command started"
    );

    // Another member may not cancel a reply to olga's message.
    ann.c
        .post_empty(&format!("/api/messages/{reply}/cancel"))
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    let cancelled = olga
        .c
        .post_empty(&format!("/api/messages/{reply}/cancel"))
        .await;
    assert_eq!(cancelled.status, 202, "{}", cancelled.body);
    assert_eq!(
        cancelled.body,
        json!({"message_id": reply, "status": "cancelled"})
    );
    // The stop has ended the reply by the time it answers.
    let stopped = tree(&mut olga.c, &root)
        .await
        .into_iter()
        .find(|m| m["id"] == reply.as_str())
        .unwrap();
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(stopped["content"], "Running it.", "the partial text stays");
    assert!(
        beacon.ended(Duration::from_secs(5)).await,
        "the command still runs on the devbox"
    );
    assert!(!finished.exists(), "the command went on after the cancel");
    let again = olga
        .c
        .post_empty(&format!("/api/messages/{reply}/cancel"))
        .await;
    assert_eq!(
        again.body["status"], "cancelled",
        "repeating gives the same answer"
    );
    let rows = server.app.llm_calls().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "stopped");
}
