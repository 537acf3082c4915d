//! The same completion request with `chatId` sent twice at once stores the
//! user's message once: in one process, and across two processes sharing
//! one PostgreSQL database.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{Fakes, new_chat_at, spawn_with_fakes};
use crate::pg_database::PgDatabase;
use crate::sybil_process::SybilProcess;

const CHATS: usize = 10;
/// Far beyond what the requests need: a hang fails the test instead.
const GENEROUS: Duration = Duration::from_secs(120);

fn request(chat: &str, i: usize) -> Value {
    json!({
        "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini",
        "messages": [{ "role": "user", "content": format!("question {i}") }],
    })
}

/// Creates `CHATS` chats on `bases[0]`, then sends each chat's request once
/// to every base in `bases`, all at once; returns each chat's roles.
async fn race(client: &Client, bases: &[String]) -> Vec<Vec<String>> {
    let mut chats = Vec::new();
    for _ in 0..CHATS {
        chats.push(new_chat_at(client, &bases[0]).await);
    }
    let sends = chats.iter().enumerate().flat_map(|(i, chat)| {
        bases.iter().map(move |base| {
            let send = client
                .post(format!("{base}/v1/chat-completions"))
                .json(&request(chat, i))
                .send();
            async move { send.await.unwrap().status().as_u16() }
        })
    });
    let statuses = tokio::time::timeout(GENEROUS, join_all(sends))
        .await
        .expect("the completions never answered");
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    let mut roles = Vec::new();
    for chat in &chats {
        let detail: Value = client
            .get(format!("{}/v1/chats/{chat}", bases[0]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        roles.push(
            detail["chat"]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["role"].as_str().unwrap().to_string())
                .collect(),
        );
    }
    roles
}

fn assert_user_message_once(roles: &[Vec<String>], requests_per_chat: usize) {
    for (i, chat) in roles.iter().enumerate() {
        let users = chat.iter().filter(|r| *r == "user").count();
        let answers = chat.iter().filter(|r| *r == "assistant").count();
        assert_eq!(
            (users, answers),
            (1, requests_per_chat),
            "chat {i}: {chat:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_concurrent_requests_store_the_user_message_once() {
    let (app, _fakes) = spawn_with_fakes().await;
    let bases = [app.base.clone(), app.base.clone()];
    let roles = race(&app.client, &bases).await;
    assert_user_message_once(&roles, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_on_two_processes_store_the_user_message_once() {
    let Some(db) = PgDatabase::create("sybil_api").await else {
        return;
    };
    let fakes = Fakes::start().await;
    let mut env = fakes.env();
    env.push(("DATABASE_URL".into(), db.url().to_string()));
    // One after the other: each migrates the database at startup.
    let first = SybilProcess::start(env.clone()).await;
    let second = SybilProcess::start(env).await;
    let bases = [first.base.clone(), second.base.clone()];
    let roles = race(&Client::new(), &bases).await;
    assert_user_message_once(&roles, 2);
}
