//! `GET /api/stream/conversations/{id}` (§4.10, §6) in one process: live
//! events in id order, replay from a cursor, who receives what, the end of
//! a removed member's stream, `resync_required`, and the cursor rules.

use serde_json::{Value, json};
use sybil_testkit::sse;

use super::{add, create_conversation, start, system_reply, system_root, user};
use crate::accounts::kit::{Backend, Client, both_backends};

both_backends!(
    followers_get_each_event_once_in_order_and_resume_from_their_last_id,
    a_removed_members_stream_ends_after_its_removal,
    cursors_are_checked_and_one_ahead_must_resync,
    a_cursor_past_retention_or_a_lagging_follower_must_resync,
    a_stream_ends_when_its_session_does,
    a_quiet_stream_sends_pings,
);

/// One frame of a conversation stream.
#[derive(Debug, Clone)]
pub struct Frame {
    pub id: Option<u64>,
    pub event: String,
    pub data: Value,
}

pub fn frames(text: &str) -> Vec<Frame> {
    sse::parse(text)
        .into_iter()
        .map(|e| Frame {
            id: e.id.as_deref().map(|id| id.parse().unwrap()),
            data: e.json(),
            event: e.event.unwrap_or_default(),
        })
        .collect()
}

/// Reads `resp` until `enough` holds of the frames read by this call; the
/// text so far. Fails after 30 s: keep-alive pings would otherwise keep a
/// test that waits for the wrong thing waiting forever.
pub async fn read_until(resp: &mut reqwest::Response, enough: impl Fn(&[Frame]) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut buffer = String::new();
    while !enough(&frames(&buffer)) {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("the events came; so far: {buffer}"))
            .unwrap()
            .expect("more events");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    buffer
}

pub async fn follow(
    c: &Client,
    conv: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let resp = c
        .open(&format!("/api/stream/conversations/{conv}{query}"), headers)
        .await;
    assert_eq!(resp.status(), 200);
    resp
}

fn kinds(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.event.as_str()).collect()
}

async fn followers_get_each_event_once_in_order_and_resume_from_their_last_id(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Live").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;

    let mut live = follow(&olga.c, &conv, "", &[]).await;
    let headers = live.headers().clone();
    assert_eq!(headers["content-type"], "text/event-stream; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-accel-buffering"], "no");

    // Without a cursor: only what comes after (the add is not replayed).
    let root = system_root(&server, &mut ann.c, &conv, "first").await;
    let typed = ann
        .c
        .post(
            "/api/typing",
            json!({"conversation_id": conv, "root_id": root}),
        )
        .await;
    assert_eq!(typed.status, 204);
    system_reply(&server, &mut olga.c, &root, "second").await;
    let text = read_until(&mut live, |f| {
        f.iter().filter(|f| f.event == "thread.activity").count() == 2
    })
    .await;
    let got = frames(&text);
    assert_eq!(
        kinds(&got),
        [
            "thread.new",
            "thread.activity",
            "unread.update",
            "typing.update",
            "thread.activity"
        ],
        "olga's unread count and ann's typing, not ann's count: {got:?}"
    );
    assert_eq!(got[3].data["payload"]["user_id"], ann.id);
    assert_eq!(got[0].data["type"], "thread.new");
    assert_eq!(got[0].data["payload"]["root_id"], root);
    let ids: Vec<u64> = got.iter().map(|f| f.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(ids[0] > 2, "the add's events came before the stream opened");

    // Ann resumes after the first event she saw: `Last-Event-ID`, and
    // `since`, which wins over it.
    let first = ids[0].to_string();
    for (query, header) in [("", first.as_str()), (&*format!("?since={first}"), "1")] {
        let mut again = follow(&ann.c, &conv, query, &[("Last-Event-ID", header)]).await;
        let text = read_until(&mut again, |f| f.iter().any(|f| f.event == "unread.update")).await;
        let got = frames(&text);
        assert_eq!(
            kinds(&got),
            ["thread.activity", "thread.activity", "unread.update"],
            "replay from {first}, without olga's count or ann's own typing: {got:?}"
        );
        assert!(got.iter().all(|f| f.id.unwrap() > ids[0]));
    }
}

async fn a_removed_members_stream_ends_after_its_removal(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Live").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    let stream = follow(&ann.c, &conv, "", &[]).await;
    let removed = olga
        .c
        .delete(&format!(
            "/api/conversations/{conv}/participants/{}",
            ann.id
        ))
        .await;
    assert_eq!(removed.status, 204);
    let text = tokio::time::timeout(std::time::Duration::from_secs(20), stream.text())
        .await
        .expect("the stream closed")
        .unwrap();
    let got = frames(&text);
    assert_eq!(kinds(&got), ["membership.changed"]);
    assert_eq!(got[0].data["payload"]["action"], "removed");
    // And she may not open it again.
    ann.c
        .clone()
        .get(&format!("/api/stream/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
}

async fn cursors_are_checked_and_one_ahead_must_resync(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut otto = user(&server, "otto").await;
    let conv = create_conversation(&mut olga.c, "Live").await;
    for (query, header, field) in [
        ("?since=-1", None, "since"),
        ("?since=abc", Some("3"), "since"),
        ("", Some("1.5"), "Last-Event-ID"),
    ] {
        let req = olga.c.clone();
        let resp = req
            .open(
                &format!("/api/stream/conversations/{conv}{query}"),
                &header
                    .map(|h| vec![("Last-Event-ID", h)])
                    .unwrap_or_default(),
            )
            .await;
        assert_eq!(resp.status(), 400, "{query} {header:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["details"]["field"], field);
    }
    otto.c
        .get(&format!("/api/stream/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    // Nothing recorded yet: any cursor above 0 is ahead.
    let stream = follow(&olga.c, &conv, "?since=5", &[]).await;
    let text = stream.text().await.unwrap();
    let got = frames(&text);
    assert_eq!(got.len(), 1, "{text}");
    assert_eq!((got[0].event.as_str(), got[0].id), ("error", None));
    assert_eq!(got[0].data["payload"]["code"], "resync_required");
}

async fn a_cursor_past_retention_or_a_lagging_follower_must_resync(backend: Backend) {
    let Some(server) = start(backend, &[("SSE_MAX_LAG_EVENTS", "2")]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Live").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    system_root(&server, &mut olga.c, &conv, "one").await;
    // Retention removed events 1 and 2: a cursor before them cannot resume.
    server.app.expire_events_for_test(&conv, 2).await;
    for since in ["0", "1"] {
        let text = follow(&olga.c, &conv, &format!("?since={since}"), &[])
            .await
            .text()
            .await
            .unwrap();
        let got = frames(&text);
        assert_eq!(got.len(), 1, "{text}");
        assert_eq!(got[0].data["payload"]["code"], "resync_required");
    }
    // From 2 on, everything after is kept.
    let mut kept = follow(&olga.c, &conv, "?since=2", &[]).await;
    let text = read_until(&mut kept, |f| f.iter().any(|f| f.event == "thread.new")).await;
    assert_eq!(frames(&text)[0].id, Some(3));
    // Live, a follower more than SSE_MAX_LAG_EVENTS behind is told to resync:
    // one root post makes three events at once.
    let lagging = follow(&olga.c, &conv, "", &[]).await;
    system_root(&server, &mut olga.c, &conv, "two").await;
    let text = lagging.text().await.unwrap();
    let got = frames(&text);
    assert_eq!(
        got.last().unwrap().data["payload"]["code"],
        "resync_required",
        "{text}"
    );
    assert_eq!(got.last().unwrap().id, None);
}

async fn a_stream_ends_when_its_session_does(backend: Backend) {
    let Some(server) = start(backend, &[("STREAM_SESSION_CHECK_SECONDS", "1")]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Live").await;
    let stream = follow(&olga.c, &conv, "", &[]).await;
    let out = olga.c.post_empty("/api/auth/logout").await;
    assert_eq!(out.status, 200, "{}", out.body);
    // The next check finds the session revoked and ends the stream.
    let text = tokio::time::timeout(std::time::Duration::from_secs(20), stream.text())
        .await
        .expect("the stream ended")
        .unwrap();
    assert!(frames(&text).is_empty(), "{text}");
}

async fn a_quiet_stream_sends_pings(backend: Backend) {
    let Some(server) = start(backend, &[("SSE_KEEPALIVE_SECONDS", "1")]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Quiet").await;
    let mut stream = follow(&olga.c, &conv, "", &[]).await;
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), stream.chunk())
        .await
        .expect("a ping came")
        .unwrap()
        .unwrap();
    assert_eq!(std::str::from_utf8(&chunk).unwrap(), ": ping\n\n");
}
