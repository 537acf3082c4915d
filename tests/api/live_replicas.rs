//! Several Sybil processes on one PostgreSQL database: live events cross
//! them through `LISTEN`/`NOTIFY`, with the event tables as the source of
//! truth. A conversation event made on one reaches streams on the others in
//! order; a stream resumes on another process; a listener connection killed
//! mid-stream loses nothing; a resumable job started on one is followed and
//! stopped on another; a process killed mid-reply has its reply ended by
//! another.

use std::time::Duration;

use serde_json::{Value, json};
use sybil_testkit::Reply;

use crate::accounts::kit::{ADMIN_TOKEN, Client, PASSWORD};
use crate::conversations::stream::{follow, frames, read_until};
use crate::helpers::{Fakes, devbox_env, eventually};
use crate::pg_database::PgDatabase;
use crate::sybil_process::SybilProcess;

struct Fleet {
    db: PgDatabase,
    fakes: Fakes,
    procs: Vec<SybilProcess>,
}

/// `n` processes on a fresh database, started one after the other (each
/// migrates at startup).
async fn fleet(n: usize) -> Option<Fleet> {
    fleet_with(n, &[]).await
}

async fn fleet_with(n: usize, extra: &[(String, String)]) -> Option<Fleet> {
    let db = PgDatabase::create("sybil_fleet").await?;
    let fakes = Fakes::start().await;
    let mut env = fakes.env();
    env.push(("DATABASE_URL".into(), db.url().to_string()));
    env.push(("ADMIN_TOKEN".into(), ADMIN_TOKEN.into()));
    env.push(("SESSION_COOKIE_SECURE".into(), "false".into()));
    env.push(("LOGIN_ATTEMPTS_PER_IP_PER_MINUTE".into(), "1000".into()));
    env.extend(extra.iter().cloned());
    let mut procs = Vec::new();
    for _ in 0..n {
        procs.push(SybilProcess::start(env.clone()).await);
    }
    Some(Fleet { db, fakes, procs })
}

fn client(base: &str) -> Client {
    Client {
        base: base.to_string(),
        http: reqwest::Client::new(),
        session: None,
        csrf: None,
        bearer: None,
    }
}

/// Creates `name` through the service and signs it in on the process at `base`.
async fn member(fleet: &Fleet, base: &str, name: &str) -> (Client, String) {
    let mut service = client(&fleet.procs[0].base);
    service.bearer = Some(ADMIN_TOKEN.into());
    let made = service
        .post(
            "/api/admin/users",
            json!({"username": name, "email": format!("{name}@example.org"), "password": PASSWORD}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let mut c = client(base);
    assert_eq!(c.login(name, PASSWORD).await.status, 200);
    let id = c.id().await;
    (c, id)
}

async fn conversation(c: &mut Client, others: &[&str]) -> String {
    let made = c
        .post("/api/conversations", json!({"title": "Fleet"}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let conv = made.body["conversation_id"].as_str().unwrap().to_string();
    for id in others {
        let added = c
            .post(
                &format!("/api/conversations/{conv}/participants"),
                json!({"user_id": id, "role": "member"}),
            )
            .await;
        assert_eq!(added.status, 204);
    }
    conv
}

async fn system_root(c: &mut Client, conv: &str, text: &str) -> String {
    let posted = c
        .post(
            &format!("/api/threads/{conv}/root"),
            json!({"content": text, "role": "system"}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    posted.body["message_id"].as_str().unwrap().to_string()
}

/// Starts a resumable completion on the process at `base`: its stream, the
/// text read so far (its `meta`) and its id.
async fn start_resumable(
    http: &reqwest::Client,
    base: &str,
    ask: &str,
) -> (reqwest::Response, String, String) {
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
                       "messages": [{ "role": "user", "content": ask }] });
    let mut started = http
        .post(format!("{base}/v1/chat-completions/stream"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let first = crate::sse::read_until(&mut started, |f| !f.is_empty()).await;
    let id = crate::sse::parse_frames(&first)[0].data["completionId"]
        .as_str()
        .unwrap()
        .to_string();
    (started, first, id)
}

fn count(kind: &'static str, n: usize) -> impl Fn(&[crate::conversations::stream::Frame]) -> bool {
    move |f| f.iter().filter(|f| f.event == kind).count() >= n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_made_on_one_process_reach_streams_on_the_others_in_order() {
    let Some(fleet) = fleet(3).await else { return };
    let (a, b, c) = (
        &fleet.procs[0].base,
        &fleet.procs[1].base,
        &fleet.procs[2].base,
    );
    let (mut olga_a, _) = member(&fleet, a, "olga").await;
    let (ann_b, ann) = member(&fleet, b, "ann").await;
    let (bob_c, bob) = member(&fleet, c, "bob").await;
    let conv = conversation(&mut olga_a, &[&ann, &bob]).await;
    let mut on_b = follow(&ann_b, &conv, "", &[]).await;
    let mut on_c = follow(&bob_c, &conv, "", &[]).await;
    for i in 0..5 {
        system_root(&mut olga_a, &conv, &format!("note {i}")).await;
    }
    let seen_b = frames(&read_until(&mut on_b, count("thread.new", 5)).await);
    let seen_c = frames(&read_until(&mut on_c, count("thread.new", 5)).await);
    for seen in [&seen_b, &seen_c] {
        let ids: Vec<u64> = seen.iter().map(|f| f.id.unwrap()).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "in order, once: {ids:?}"
        );
        let notes: Vec<&str> = seen
            .iter()
            .filter(|f| f.event == "thread.new")
            .map(|f| {
                f.data["payload"]["summary"]["root_excerpt"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(notes, ["note 0", "note 1", "note 2", "note 3", "note 4"]);
    }
    // Ann's view on C, resumed from the second event B showed her.
    let (mut ann_c, _) = (client(c), ());
    assert_eq!(ann_c.login("ann", PASSWORD).await.status, 200);
    let second = seen_b[1].id.unwrap().to_string();
    let mut resumed = follow(&ann_c, &conv, "", &[("Last-Event-ID", &second)]).await;
    let again = frames(&read_until(&mut resumed, count("thread.new", 4)).await);
    let tail: Vec<u64> = seen_b.iter().skip(2).map(|f| f.id.unwrap()).collect();
    let got: Vec<u64> = again
        .iter()
        .map(|f| f.id.unwrap())
        .take(tail.len())
        .collect();
    assert_eq!(
        got, tail,
        "the same events after the cursor, on another process"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_listener_connection_loses_no_event() {
    let Some(fleet) = fleet(2).await else { return };
    let (a, b) = (&fleet.procs[0].base, &fleet.procs[1].base);
    let (mut olga_a, _) = member(&fleet, a, "olga").await;
    let (ann_b, ann) = member(&fleet, b, "ann").await;
    let conv = conversation(&mut olga_a, &[&ann]).await;
    let mut on_b = follow(&ann_b, &conv, "", &[]).await;
    system_root(&mut olga_a, &conv, "before").await;
    read_until(&mut on_b, count("thread.new", 1)).await;
    // Every process's listening connection, cut by the server.
    let killed = fleet
        .db
        .terminate_connections_of(sybil_storage::LISTENER_NAME)
        .await;
    assert!(killed >= 2, "both listeners were found: {killed}");
    for i in 0..3 {
        system_root(&mut olga_a, &conv, &format!("after {i}")).await;
    }
    let seen = frames(&read_until(&mut on_b, count("thread.new", 3)).await);
    let notes: Vec<&str> = seen
        .iter()
        .filter(|f| f.event == "thread.new")
        .map(|f| {
            f.data["payload"]["summary"]["root_excerpt"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(notes, ["after 0", "after 1", "after 2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_job_on_one_process_is_followed_and_stopped_on_another() {
    let Some(fleet) = fleet(2).await else { return };
    let (a, b) = (&fleet.procs[0].base, &fleet.procs[1].base);
    fleet
        .fakes
        .openai
        .push(Reply::hold("Thinking hard about it", 2));
    let http = reqwest::Client::new();
    let (started, _, id) = start_resumable(&http, a, "go").await;
    let mut followed = http
        .get(format!("{b}/v1/chat-completions/{id}/events"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), 200);
    let live =
        crate::sse::read_until(&mut followed, |f| f.iter().any(|f| f.event == "delta")).await;
    assert!(
        crate::sse::parse_frames(&live)
            .iter()
            .any(|f| f.event == "delta")
    );
    let stop = http
        .post(format!("{b}/v1/chat-completions/{id}/stop"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), 200);
    let stopped: Value = stop.json().await.unwrap();
    assert_eq!(stopped, json!({"stopped": true}));
    // The stop answered once the job ended: both streams end with `done`.
    for resp in [started, followed] {
        let rest = resp.text().await.unwrap();
        let all = crate::sse::parse_frames(&rest);
        assert_eq!(all.last().map(|f| f.event.as_str()), Some("done"), "{rest}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_of_a_killed_process_is_ended_by_another() {
    let Some(mut fleet) = fleet(2).await else {
        return;
    };
    let (a, b) = (fleet.procs[0].base.clone(), fleet.procs[1].base.clone());
    let (mut olga_a, _) = member(&fleet, &a, "olga").await;
    let (mut olga_b, _) = (client(&b), ());
    assert_eq!(olga_b.login("olga", PASSWORD).await.status, 200);
    let conv = conversation(&mut olga_a, &[]).await;
    fleet.fakes.openai.push(Reply::hold("Partial words", 1));
    let posted = olga_a
        .post(
            &format!("/api/threads/{conv}/root"),
            json!({"content": "go", "provider": "openai", "model": "gpt-4.1-mini"}),
        )
        .await;
    let root = posted.body["message_id"].as_str().unwrap().to_string();
    let reply = posted.body["assistant_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply_of = |c: Client, root: String, reply: String| async move {
        let mut c = c;
        let tree = c.get(&format!("/api/threads/{root}/tree")).await;
        tree.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == reply.as_str())
            .cloned()
            .unwrap()
    };
    let partial = eventually(Duration::from_secs(10), || {
        let m = reply_of(olga_b.clone(), root.clone(), reply.clone());
        async move {
            let m = m.await;
            (m["content"] != "").then_some(m)
        }
    })
    .await
    .expect("text arrived");
    // SIGKILL: no drain, no goodbye.
    drop(fleet.procs.remove(0));
    let ended = eventually(Duration::from_secs(20), || {
        let m = reply_of(olga_b.clone(), root.clone(), reply.clone());
        async move {
            let m = m.await;
            (m["status"] != "streaming").then_some(m)
        }
    })
    .await
    .expect("another process ended the reply");
    assert_eq!(ended["status"], "error");
    assert_eq!(ended["error"]["code"], "interrupted");
    assert_eq!(ended["content"], partial["content"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_on_another_process_kills_the_devbox_command_at_once() {
    let Some(sshd) = sybil_testkit::sshd::sshd() else {
        return;
    };
    let devbox = devbox_env(&sshd);
    let Some(fleet) = fleet_with(2, &devbox).await else {
        return;
    };
    let (a, b) = (&fleet.procs[0].base, &fleet.procs[1].base);
    let mut beacon = sybil_testkit::sshd::Beacon::new(&sshd.path("beacon"));
    let finished = sshd.path("finished");
    let command = format!("{}sleep 60; touch '{}'", beacon.open(), finished.display());
    fleet.fakes.openai.push(
        Reply::tool_calls(&[("shell_exec", &json!({ "command": command }).to_string())])
            .with_text("Running it. "),
    );
    let http = reqwest::Client::new();
    let (started, first, id) = start_resumable(&http, a, "run it").await;
    assert!(
        beacon.started(Duration::from_secs(10)).await,
        "the remote command started"
    );
    let stop = http
        .post(format!("{b}/v1/chat-completions/{id}/stop"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), 200);
    assert_eq!(
        stop.json::<Value>().await.unwrap(),
        json!({"stopped": true})
    );
    assert!(
        beacon.ended(Duration::from_secs(5)).await,
        "the command still runs on the devbox"
    );
    assert!(!finished.exists(), "the command went on after the stop");
    let rest = started.text().await.unwrap();
    let frames = crate::sse::parse_frames(&(first + &rest));
    assert_eq!(frames.last().unwrap().event, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_removed_on_one_process_loses_the_stream_open_on_another() {
    let Some(fleet) = fleet(2).await else { return };
    let (a, b) = (&fleet.procs[0].base, &fleet.procs[1].base);
    let (mut olga_a, _) = member(&fleet, a, "olga").await;
    let (ann_b, ann) = member(&fleet, b, "ann").await;
    let conv = conversation(&mut olga_a, &[&ann]).await;
    let on_b = follow(&ann_b, &conv, "", &[]).await;
    let removed = olga_a
        .delete(&format!("/api/conversations/{conv}/participants/{ann}"))
        .await;
    assert_eq!(removed.status, 204);
    let text = tokio::time::timeout(Duration::from_secs(20), on_b.text())
        .await
        .expect("the stream on B closed")
        .unwrap();
    let got = frames(&text);
    assert_eq!(got.len(), 1, "{text}");
    assert_eq!(got[0].event, "membership.changed");
    assert_eq!(got[0].data["payload"]["action"], "removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_cancelled_on_another_process_kills_its_devbox_command() {
    let Some(sshd) = sybil_testkit::sshd::sshd() else {
        return;
    };
    let Some(fleet) = fleet_with(2, &devbox_env(&sshd)).await else {
        return;
    };
    let (a, b) = (&fleet.procs[0].base, &fleet.procs[1].base);
    let (mut olga_a, _) = member(&fleet, a, "olga").await;
    let mut olga_b = client(b);
    assert_eq!(olga_b.login("olga", PASSWORD).await.status, 200);
    let conv = conversation(&mut olga_a, &[]).await;
    let mut beacon = sybil_testkit::sshd::Beacon::new(&sshd.path("beacon"));
    let finished = sshd.path("finished");
    let command = format!("{}sleep 60; touch '{}'", beacon.open(), finished.display());
    fleet.fakes.openai.push(
        Reply::tool_calls(&[("shell_exec", &json!({ "command": command }).to_string())])
            .with_text("Running it."),
    );
    let posted = olga_a
        .post(
            &format!("/api/threads/{conv}/root"),
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
    let cancelled = olga_b
        .post_empty(&format!("/api/messages/{reply}/cancel"))
        .await;
    assert_eq!(cancelled.status, 202, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(
        beacon.ended(Duration::from_secs(5)).await,
        "the command still runs on the devbox"
    );
    assert!(!finished.exists(), "the command went on after the cancel");
    let tree = olga_b.get(&format!("/api/threads/{root}/tree")).await;
    let stopped = tree.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == reply.as_str())
        .cloned()
        .unwrap();
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(stopped["content"], "Running it.", "the partial text stays");
}
