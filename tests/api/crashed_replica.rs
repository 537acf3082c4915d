//! A replica killed (SIGKILL) in the middle of a resumable completion, with
//! another replica on the same PostgreSQL database: the other one replays
//! what the dead one sent, and a stop sent to it ends the job as stopped.

use reqwest::Client;
use serde_json::{Value, json};
use sybil_testkit::Reply;

use crate::helpers::{Fakes, new_chat_at};
use crate::pg_database::PgDatabase;
use crate::sse::{parse_frames, read_until, text_of};
use crate::sybil_process::SybilProcess;

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_server_was_killed_is_replayed_and_stopped_by_another_replica() {
    let Some(db) = PgDatabase::create("sybil_crash").await else {
        return;
    };
    let fakes = Fakes::start().await;
    let mut env = fakes.env();
    env.push(("DATABASE_URL".into(), db.url().to_string()));
    // One after the other: each migrates the database at startup.
    let dying = SybilProcess::start(env.clone()).await;
    let survivor = SybilProcess::start(env).await;
    let client = Client::new();
    let chat = new_chat_at(&client, &survivor.base).await;

    fakes.openai.push(Reply::hold("one two three four", 2));
    let mut live = client
        .post(format!("{}/v1/chat-completions/stream", dying.base))
        .json(
            &json!({ "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini",
                       "resumable": true, "messages": [{ "role": "user", "content": "go" }] }),
        )
        .send()
        .await
        .unwrap();
    let seen = parse_frames(&read_until(&mut live, |f| f.len() >= 3).await);
    let id = seen[0].data["completionId"].as_str().unwrap().to_string();
    drop(dying);

    // Its heartbeat was fresh when it died: the stop waits until the job
    // is known orphaned, then ends it as stopped, with the text it sent.
    let (status, body) = json_of(
        client
            .post(format!("{}/v1/chat-completions/{id}/stop", survivor.base))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body), (200, json!({ "stopped": true })));

    let replay = parse_frames(
        &client
            .get(format!("{}/v1/chat-completions/{id}/events", survivor.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let (sent, rest) = replay.split_at(seen.len());
    for (replayed, original) in sent.iter().zip(&seen) {
        assert_eq!(
            (replayed.id, &replayed.event, &replayed.data),
            (original.id, &original.event, &original.data)
        );
    }
    assert_eq!(rest.len(), 1, "{rest:?}");
    let done = &rest[0];
    let text = text_of(&seen);
    assert_eq!(done.event, "done");
    assert_eq!(
        done.data["message"],
        json!({ "role": "assistant", "content": text, "metadata": { "stopped": true } })
    );

    let (_, detail) = json_of(
        client
            .get(format!("{}/v1/chats/{chat}", survivor.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let last = detail["chat"]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(last["content"], json!(text));
    assert_eq!(last["metadata"], json!({ "stopped": true }));
    assert_eq!(done.data["messageId"], last["id"]);
}
