//! Resumable completions: jobs that outlive their client, replayed and
//! followed through `/v1/chat-completions/:completionId/events`, stopped
//! through `/stop`, across restarts and replicas.

use std::time::Duration;

use serde_json::{Value, json};
use sybil_testkit::Reply;

use crate::helpers::{Fakes, TestApp, spawn_app_on, spawn_with_fakes};
use crate::pg_database::PgDatabase;
use crate::sse::{Frame, parse_frames, read_until, text_of};

fn request(chat: Option<&str>) -> Value {
    json!({ "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
            "messages": [{ "role": "user", "content": "count" }] })
}

/// Opens a resumable stream and reads until `n` frames arrived; returns the
/// frames and the open response.
async fn open_until(app: &TestApp, body: &Value, n: usize) -> (Vec<Frame>, reqwest::Response) {
    let mut resp = app.open_stream(body).await;
    assert_eq!(resp.status(), 200);
    let buffer = read_until(&mut resp, |frames| frames.len() >= n).await;
    (parse_frames(&buffer), resp)
}

/// Runs a resumable completion to its end; its frames and `completionId`.
async fn run_to_end(app: &TestApp) -> (Vec<Frame>, String) {
    let resp = app.open_stream(&request(None)).await;
    let frames = parse_frames(&resp.text().await.unwrap());
    let id = frames[0].data["completionId"].as_str().unwrap().to_string();
    (frames, id)
}

async fn follow(app: &TestApp, id: &str, last_event_id: Option<u64>) -> Vec<Frame> {
    let mut req = app
        .client
        .get(app.url(&format!("/v1/chat-completions/{id}/events")));
    if let Some(last) = last_event_id {
        req = req.header("Last-Event-ID", last.to_string());
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    parse_frames(&resp.text().await.unwrap())
}

fn slow_words(n: usize, ms: u64) -> Reply {
    let words: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
    Reply::text(&words.join(" ")).with_chunk_delay(Duration::from_millis(ms))
}

#[tokio::test]
async fn a_resumable_job_survives_its_client_and_replays_from_last_event_id() {
    let (app, fakes) = spawn_with_fakes().await;
    let (_, chat) = app.post_json("/v1/chats", &json!({})).await;
    let chat = chat["chat"]["id"].as_str().unwrap().to_string();
    fakes.openai.push(slow_words(12, 40));
    let (first, resp) = open_until(&app, &request(Some(&chat)), 3).await;
    assert_eq!(first[0].event, "meta");
    let id = first[0].data["completionId"]
        .as_str()
        .expect("completionId")
        .to_string();
    assert_eq!(first[0].data.as_object().unwrap().len(), 4);
    drop(resp);

    // The job goes on without its client; a follower from id 2 gets the rest.
    let rest = follow(&app, &id, Some(2)).await;
    assert_eq!(rest[0].id, 3);
    assert_eq!(rest.last().unwrap().event, "done");
    let ids: Vec<u64> = rest.iter().map(|f| f.id).collect();
    assert_eq!(ids, (3..3 + rest.len() as u64).collect::<Vec<_>>());
    let whole = follow(&app, &id, None).await;
    assert_eq!(whole[0].event, "meta");
    let words: Vec<String> = (0..12).map(|i| format!("w{i}")).collect();
    assert_eq!(text_of(&whole), words.join(" "));
    assert_eq!(
        whole.last().unwrap().data["message"]["content"],
        words.join(" ")
    );

    let after = app
        .client
        .get(app.url(&format!(
            "/v1/chat-completions/{id}/events?after={}",
            whole.len() - 1
        )))
        .send()
        .await
        .unwrap();
    let tail = parse_frames(&after.text().await.unwrap());
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].event, "done");

    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    let last = detail["chat"]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["content"].as_str().unwrap(), &last["metadata"]),
        (words.join(" ").as_str(), &Value::Null)
    );
}

#[tokio::test]
async fn several_followers_see_the_same_live_events() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes.openai.push(slow_words(8, 50));
    let (first, resp) = open_until(&app, &request(None), 1).await;
    let id = first[0].data["completionId"].as_str().unwrap().to_string();
    let (a, b) = tokio::join!(follow(&app, &id, Some(1)), follow(&app, &id, Some(1)));
    let own = parse_frames(&resp.text().await.unwrap());
    assert_eq!(text_of(&a), text_of(&b));
    assert_eq!(a.last().unwrap().event, "done");
    assert_eq!(own.last().unwrap().event, "done");
    assert_eq!(text_of(&a), text_of(&own));
}

#[tokio::test]
async fn stop_aborts_the_upstream_stores_the_partial_text_and_ends_with_done() {
    let (app, fakes) = spawn_with_fakes().await;
    let (_, chat) = app.post_json("/v1/chats", &json!({})).await;
    let chat = chat["chat"]["id"].as_str().unwrap().to_string();
    fakes.openai.push(slow_words(200, 50));
    let (first, resp) = open_until(&app, &request(Some(&chat)), 3).await;
    let id = first[0].data["completionId"].as_str().unwrap().to_string();
    let (status, body) = app
        .post_json(&format!("/v1/chat-completions/{id}/stop"), &json!({}))
        .await;
    assert_eq!((status, body), (200, json!({ "stopped": true })));
    let frames = parse_frames(&resp.text().await.unwrap());
    let done = frames.last().unwrap();
    assert_eq!(done.event, "done");
    assert_eq!(done.data["message"]["metadata"], json!({ "stopped": true }));
    assert!(
        fakes
            .openai
            .wait_for_aborts(1, Duration::from_secs(5))
            .await,
        "the upstream call was aborted"
    );

    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    let last = detail["chat"]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["metadata"], json!({ "stopped": true }));
    assert_eq!(last["id"], done.data["messageId"]);
    assert!(last["content"].as_str().unwrap().starts_with("w0 w1"));
    assert_eq!(
        done.data["message"]["content"], last["content"],
        "done carries the stored text, nothing appended"
    );
    assert_eq!(app.llm_calls().await.last().unwrap().status, "stopped");

    let (status, body) = app
        .post_json(&format!("/v1/chat-completions/{id}/stop"), &json!({}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({ "stopped": false })),
        "a finished job does not change"
    );
    let (status, body) = app
        .post_json(
            "/v1/chat-completions/00000000-0000-7000-8000-000000000000/stop",
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, body),
        (404, json!({ "message": "completion not found" }))
    );
    let resp = app
        .client
        .get(app.url("/v1/chat-completions/nope/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn stop_cancels_a_running_tool() {
    let fakes = Fakes::start().await;
    let pages = sybil_testkit::FakePages::start().await;
    let mut env = fakes.env();
    env.push(("FETCH_ALLOW_PRIVATE_NETWORKS".into(), "true".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = crate::helpers::spawn_app_with(&vars).await;
    let url = format!("{}/slow?ms=20000", pages.base_url());
    fakes.openai.push(
        Reply::tool_calls(&[("fetch_url", &json!({ "url": url }).to_string())])
            .with_text("Reading. "),
    );
    let (first, resp) = open_until(&app, &request(None), 2).await;
    let id = first[0].data["completionId"].as_str().unwrap().to_string();
    // Stop once the page request is under way.
    assert!(pages.requests_reach(1, Duration::from_secs(10)).await);
    let started = std::time::Instant::now();
    let (status, _) = app
        .post_json(&format!("/v1/chat-completions/{id}/stop"), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the 20 s fetch did not have to finish"
    );
    let frames = parse_frames(&resp.text().await.unwrap());
    assert_eq!(frames.last().unwrap().event, "done");
    assert!(
        frames.iter().all(|f| f.event != "tool_call"),
        "the cancelled tool never finished"
    );
}

#[tokio::test]
async fn finished_jobs_replay_after_a_restart_and_on_another_replica() {
    let Some(db) = PgDatabase::create("sybil_api").await else {
        return;
    };
    let db_url = db.url();
    let fakes = Fakes::start().await;
    let env = fakes.env();
    let replica_a = spawn_app_on(db_url, &env).await;
    let replica_b = spawn_app_on(db_url, &env).await;
    fakes.openai.push(Reply::text("shared across replicas"));
    let (frames, id) = run_to_end(&replica_a).await;
    let on_b = follow(&replica_b, &id, None).await;
    assert_eq!(text_of(&on_b), "shared across replicas");
    assert_eq!(on_b.len(), frames.len());

    // A job whose server died is failed by the others, not left running.
    fakes.openai.push(slow_words(100, 100));
    let (first, resp) = open_until(&replica_a, &request(None), 2).await;
    let dying = first[0].data["completionId"].as_str().unwrap().to_string();
    drop(resp);
    replica_a.kill_jobs_heartbeat_for_test(&dying).await;
    let rest = follow(&replica_b, &dying, Some(1)).await;
    let last = rest.last().unwrap();
    assert_eq!(last.event, "error");
    assert!(
        last.data["message"]
            .as_str()
            .unwrap()
            .contains("stopped before it finished")
    );
}

#[tokio::test]
async fn a_finished_job_replays_after_a_restart_on_sqlite() {
    let fakes = Fakes::start().await;
    let env = fakes.env();
    let path = crate::helpers::temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let first = spawn_app_on(&url, &env).await;
    fakes.openai.push(Reply::text("kept on disk"));
    let (_, id) = run_to_end(&first).await;
    drop(first);
    let second = spawn_app_on(&url, &env).await;
    let replayed = follow(&second, &id, None).await;
    assert_eq!(text_of(&replayed), "kept on disk");
    assert_eq!(replayed.last().unwrap().event, "done");
}

#[tokio::test]
async fn a_stop_on_another_replica_or_of_an_orphaned_job_ends_it_as_stopped() {
    let fakes = Fakes::start().await;
    let mut env = fakes.env();
    env.push(("UPSTREAM_TIMEOUT_MS".into(), "60000".into()));
    let path = crate::helpers::temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let replica_a = spawn_app_on(&url, &env).await;
    let replica_b = spawn_app_on(&url, &env).await;
    let (_, chat) = replica_a.post_json("/v1/chats", &json!({})).await;
    let chat = chat["chat"]["id"].as_str().unwrap().to_string();
    let last_message = || async {
        let (_, detail) = replica_b.get_json(&format!("/v1/chats/{chat}")).await;
        detail["chat"]["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone()
    };

    // Running on A, stopped through B: done carries the stored message.
    fakes.openai.push(Reply::hold("one two three four", 2));
    let (first, resp) = open_until(&replica_a, &request(Some(&chat)), 3).await;
    let id = first[0].data["completionId"].as_str().unwrap().to_string();
    let (status, body) = replica_b
        .post_json(&format!("/v1/chat-completions/{id}/stop"), &json!({}))
        .await;
    assert_eq!((status, body), (200, json!({ "stopped": true })));
    let frames = parse_frames(&resp.text().await.unwrap());
    let done = frames.last().unwrap();
    let stored = last_message().await;
    assert_eq!(done.event, "done");
    assert_eq!(done.data["message"]["content"], stored["content"]);
    assert_eq!(done.data["message"]["metadata"], json!({ "stopped": true }));
    assert_eq!(stored["metadata"], json!({ "stopped": true }));
    assert_eq!(done.data["messageId"], stored["id"]);

    // A job whose server is gone (its heartbeat stale): stopped at once.
    fakes.openai.push(Reply::hold("five six seven eight", 2));
    let (first, resp) = open_until(&replica_a, &request(Some(&chat)), 3).await;
    let orphan = first[0].data["completionId"].as_str().unwrap().to_string();
    drop(resp);
    replica_a.kill_jobs_heartbeat_for_test(&orphan).await;
    let (status, body) = replica_b
        .post_json(&format!("/v1/chat-completions/{orphan}/stop"), &json!({}))
        .await;
    assert_eq!((status, body), (200, json!({ "stopped": true })));
    let replay = follow(&replica_b, &orphan, None).await;
    let done = replay.last().unwrap();
    let stored = last_message().await;
    assert_eq!(done.event, "done");
    assert_eq!(done.data["message"]["content"], json!(text_of(&replay)));
    assert_eq!(done.data["message"]["content"], stored["content"]);
    assert_eq!(stored["metadata"], json!({ "stopped": true }));
    let (status, body) = replica_b
        .post_json(&format!("/v1/chat-completions/{orphan}/stop"), &json!({}))
        .await;
    assert_eq!((status, body), (200, json!({ "stopped": false })));
    drop((replica_a, replica_b));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
