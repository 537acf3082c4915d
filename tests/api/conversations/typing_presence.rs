//! Typing and presence (§4.9): who may type and where; presence from
//! heartbeats, posts and the server's clock as `Participant.presence`
//! shows it.

use serde_json::{Value, json};

use super::{
    Room, add, create_conversation, now_ms, participant, post_root, read_only_user, room, start,
    system_reply, system_root, ts, unknown_id, user, without_csrf,
};
use crate::accounts::kit::{Answer, Backend, Client, Server, both_backends};

both_backends!(
    typing_needs_a_poster_and_a_root_of_that_conversation,
    presence_decays_from_online_to_away_to_offline,
    heartbeats_set_the_status_and_posts_count_as_online,
    presence_times_follow_the_configuration,
    a_user_never_seen_is_offline,
);

async fn typing(c: &mut Client, body: Value) -> Answer {
    c.post("/api/typing", body).await
}

async fn heartbeat(c: &mut Client, body: Option<Value>) -> Answer {
    match body {
        None => c.post_empty("/api/presence/heartbeat").await,
        Some(body) => c.post("/api/presence/heartbeat", body).await,
    }
}

/// How `watcher` sees `user_id`'s presence in `conv`.
async fn presence(watcher: &mut Client, conv: &str, user_id: &str) -> Value {
    participant(watcher, conv, user_id).await["presence"].clone()
}

fn seen(status: &str, at_ms: i64) -> Value {
    json!({"status": status, "last_seen_at": ts(at_ms)})
}

async fn typing_needs_a_poster_and_a_root_of_that_conversation(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let Room {
        conv,
        mut owner,
        mut admin,
        mut member,
        mut viewer,
        mut ro,
        mut outsider,
    } = room(&server).await;
    let r = system_root(&server, &mut owner.c, &conv, "r").await;
    let x = system_reply(&server, &mut owner.c, &r, "x").await;
    let elsewhere = create_conversation(&mut owner.c, "Elsewhere").await;
    let other_root = system_root(&server, &mut owner.c, &elsewhere, "o").await;
    let here = json!({"conversation_id": conv, "root_id": r});

    for c in [&mut owner.c, &mut admin.c, &mut member.c] {
        for seconds in [None, Some(1), Some(30), Some(100), Some(0), Some(-5)] {
            let mut body = here.clone();
            if let Some(s) = seconds {
                body["seconds"] = json!(s);
            }
            let typed = typing(c, body).await;
            assert_eq!(typed.status, 204, "{seconds:?}: {}", typed.body);
        }
    }
    for c in [&mut viewer.c, &mut ro.c] {
        typing(c, here.clone())
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    }

    // The root must be a root of that conversation; 404 comes before 403.
    let unknown = unknown_id();
    for root in [&other_root, &x, &unknown] {
        let body = json!({"conversation_id": conv, "root_id": root});
        for c in [&mut member.c, &mut viewer.c] {
            typing(c, body.clone())
                .await
                .assert_problem(404, "RGP.NOT_FOUND");
        }
    }
    typing(
        &mut member.c,
        json!({"conversation_id": unknown_id(), "root_id": r}),
    )
    .await
    .assert_problem(404, "RGP.NOT_FOUND");
    let hidden = typing(&mut outsider.c, here.clone()).await;
    hidden.assert_problem(404, "RGP.NOT_FOUND");
    let nowhere = typing(
        &mut outsider.c,
        json!({"conversation_id": unknown_id(), "root_id": unknown_id()}),
    )
    .await;
    assert_eq!(hidden.body, nowhere.body);

    for (body, field, reason) in [
        (json!({"conversation_id": conv}), "root_id", "missing"),
        (json!({"root_id": r}), "conversation_id", "missing"),
        (
            json!({"conversation_id": "nope", "root_id": r}),
            "conversation_id",
            "invalid_value",
        ),
        (
            json!({"conversation_id": conv, "root_id": r, "seconds": "5"}),
            "seconds",
            "invalid_type",
        ),
    ] {
        let refused = typing(&mut member.c, body.clone()).await;
        refused.assert_problem(422, "invalid_request");
        assert_eq!(
            refused.body["details"],
            json!({"field": field, "reason": reason}),
            "{body}"
        );
    }
    let mut no_csrf = without_csrf(&mut member.c).await;
    typing(&mut no_csrf, here)
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
}

/// Olga (owner) and Ann (member) in one conversation; Ann signed in at the
/// returned instant.
async fn pair(server: &Server) -> (Client, Client, String, String, i64) {
    let mut olga = user(server, "olga").await;
    let ann = user(server, "ann").await;
    let signed_in = now_ms(server);
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &ann.id, "member").await;
    (olga.c, ann.c, ann.id, conv, signed_in)
}

async fn presence_decays_from_online_to_away_to_offline(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let (mut olga, mut ann, ann_id, conv, signed_in) = pair(&server).await;

    // Signing in counts as being seen.
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("online", signed_in)
    );
    // Reading is not being seen; only the clock moves the status.
    server.clock.advance_ms(44_000);
    assert_eq!(
        ann.get(&format!("/api/conversations/{conv}")).await.status,
        200
    );
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("online", signed_in)
    );
    server.clock.advance_ms(2_000);
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("away", signed_in)
    );
    server.clock.advance_ms(253_000);
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("away", signed_in)
    );
    server.clock.advance_ms(2_000);
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("offline", signed_in)
    );

    // A heartbeat brings her back, and the clock runs again from it.
    let beat = heartbeat(&mut ann, None).await;
    assert_eq!(beat.status, 204, "{}", beat.body);
    let at = now_ms(&server);
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("online", at)
    );
    server.clock.advance_ms(46_000);
    assert_eq!(presence(&mut olga, &conv, &ann_id).await, seen("away", at));
    // Ann sees herself the same way.
    assert_eq!(presence(&mut ann, &conv, &ann_id).await, seen("away", at));
    server.clock.advance_ms(255_000);
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("offline", at)
    );
}

async fn heartbeats_set_the_status_and_posts_count_as_online(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let (mut olga, mut ann, ann_id, conv, _) = pair(&server).await;

    server.clock.advance_ms(10_000);
    assert_eq!(
        heartbeat(&mut ann, Some(json!({"status": "away"})))
            .await
            .status,
        204
    );
    let at = now_ms(&server);
    assert_eq!(presence(&mut olga, &conv, &ann_id).await, seen("away", at));
    // Away stays away until the offline time.
    server.clock.advance_ms(299_000);
    assert_eq!(presence(&mut olga, &conv, &ann_id).await, seen("away", at));
    server.clock.advance_ms(2_000);
    assert_eq!(
        presence(&mut olga, &conv, &ann_id).await,
        seen("offline", at)
    );

    // Each status explicitly; `{}` and a null status mean online.
    for (body, status) in [
        (json!({"status": "online"}), "online"),
        (json!({"status": "offline"}), "offline"),
        (json!({}), "online"),
        (json!({"status": "away"}), "away"),
        (json!({"status": null}), "online"),
    ] {
        server.clock.advance_ms(1_000);
        let beat = heartbeat(&mut ann, Some(body.clone())).await;
        assert_eq!(beat.status, 204, "{body}: {}", beat.body);
        assert_eq!(
            presence(&mut olga, &conv, &ann_id).await,
            seen(status, now_ms(&server)),
            "{body}"
        );
    }
    let refused = heartbeat(&mut ann, Some(json!({"status": "busy"}))).await;
    refused.assert_problem(422, "invalid_request");
    assert_eq!(
        refused.body["details"],
        json!({"field": "status", "reason": "invalid_value"})
    );

    // A post counts as an online heartbeat.
    assert_eq!(
        heartbeat(&mut ann, Some(json!({"status": "offline"})))
            .await
            .status,
        204
    );
    server.clock.advance_ms(5_000);
    let posted = post_root(
        &server,
        &mut ann,
        &conv,
        json!({"content": "hello", "role": "system"}),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let p = presence(&mut olga, &conv, &ann_id).await;
    assert_eq!(p, seen("online", now_ms(&server)));

    // Read-only users and viewers send heartbeats too; so does a user in
    // no conversation at all.
    let mut rita = read_only_user(&server, "rita").await;
    let mut vic = user(&server, "vic").await;
    add(&mut olga, &conv, &rita.id, "viewer").await;
    add(&mut olga, &conv, &vic.id, "viewer").await;
    let mut loner = user(&server, "lone").await;
    for c in [&mut rita.c, &mut vic.c, &mut loner.c] {
        assert_eq!(heartbeat(c, None).await.status, 204);
    }
    let mut no_csrf = without_csrf(&mut ann).await;
    heartbeat(&mut no_csrf, None)
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    server
        .client()
        .post_empty("/api/presence/heartbeat")
        .await
        .assert_problem(401, "RGP.AUTH.MISSING_SESSION");
}

async fn presence_times_follow_the_configuration(backend: Backend) {
    let vars = [
        ("PRESENCE_AWAY_SECONDS", "10"),
        ("PRESENCE_OFFLINE_SECONDS", "20"),
    ];
    let Some(server) = start(backend, &vars).await else {
        return;
    };
    let (mut olga, _ann, ann_id, conv, signed_in) = pair(&server).await;
    for (advance, status) in [
        (9_000, "online"),
        (2_000, "away"),
        (8_000, "away"),
        (2_000, "offline"),
    ] {
        server.clock.advance_ms(advance);
        assert_eq!(
            presence(&mut olga, &conv, &ann_id).await,
            seen(status, signed_in)
        );
    }
}

async fn a_user_never_seen_is_offline(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let made = server
        .service()
        .post(
            "/api/admin/users",
            json!({"username": "nina", "email": "nina@example.org",
                   "password": crate::accounts::kit::PASSWORD}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let nina = made.body["id"].as_str().unwrap().to_string();
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &nina, "member").await;
    let p = participant(&mut olga.c, &conv, &nina).await;
    assert_eq!(p["presence"], json!({"status": "offline"}), "{p}");
    assert_eq!(p["username"], "nina");

    // Once signed in, she is seen.
    let at = now_ms(&server);
    server.signed_in("nina").await;
    assert_eq!(
        presence(&mut olga.c, &conv, &nina).await,
        seen("online", at)
    );
}
