//! Invites (§4.6): tokens and expiry, acceptance in the contract's order
//! (unknown, accepted by the caller, revoked/expired/used, email, already a
//! participant), and revocation.

use serde_json::{Value, json};

use super::{
    add, create_conversation, detail, keys, now_ms, participant, read_only_user, start, ts, user,
    without_csrf,
};
use crate::accounts::kit::{Answer, Backend, Client, both_backends};

both_backends!(
    owners_and_admins_make_invites_with_an_expiry,
    accepting_an_invite_joins_with_its_role,
    revoked_expired_and_used_invites_are_gone,
    an_invite_with_an_email_is_for_that_account_only,
    revoking_changes_nothing_once_settled,
);

async fn invite(c: &mut Client, conv: &str, body: Value) -> Answer {
    c.post(&format!("/api/conversations/{conv}/invites"), body)
        .await
}

/// A new invite's token.
async fn token(c: &mut Client, conv: &str, body: Value) -> String {
    let made = invite(c, conv, body).await;
    assert_eq!(made.status, 200, "{}", made.body);
    made.body["token"].as_str().unwrap().to_string()
}

async fn accept(c: &mut Client, token: &str) -> Answer {
    c.post("/api/invites/accept", json!({"token": token})).await
}

async fn revoke(c: &mut Client, token: &str) -> Answer {
    c.post_empty(&format!("/api/invites/{token}/revoke")).await
}

/// Asserts a 410 with this message.
#[track_caller]
fn assert_gone(answer: &Answer, message: &str) {
    answer.assert_problem(410, "RGP.GONE");
    assert_eq!(answer.body["message"], message);
}

async fn owners_and_admins_make_invites_with_an_expiry(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut adam = user(&server, "adam").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &adam.id, "admin").await;
    let now = now_ms(&server);

    let made = invite(&mut olga.c, &conv, json!({"role": "member"})).await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(keys(&made.body), ["expires_at", "token"]);
    let tok = made.body["token"].as_str().unwrap();
    assert_eq!(tok.len(), 43, "{tok}");
    assert!(
        tok.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "base64url without padding: {tok}"
    );
    assert_eq!(
        made.body["expires_at"],
        ts(now + 604_800_000),
        "7 days by default"
    );
    for ttl in [1_i64, 60, 604_800] {
        let made = invite(
            &mut olga.c,
            &conv,
            json!({"role": "viewer", "ttl_seconds": ttl}),
        )
        .await;
        assert_eq!(made.status, 200, "{}", made.body);
        assert_eq!(made.body["expires_at"], ts(now + ttl * 1000));
    }
    // Several invites for the same email and role; each its own token.
    let same = json!({"role": "member", "email": "ann@example.org"});
    let first = token(&mut olga.c, &conv, same.clone()).await;
    let second = token(&mut olga.c, &conv, same).await;
    assert_ne!(first, second);
    // An admin invites too (roles below owner).
    let by_admin = invite(&mut adam.c, &conv, json!({"role": "viewer"})).await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);

    for ttl in [0_i64, -5, 604_801] {
        let refused = invite(
            &mut olga.c,
            &conv,
            json!({"role": "member", "ttl_seconds": ttl}),
        )
        .await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.body["details"]["field"], "ttl_seconds");
        let message = refused.body["message"].as_str().unwrap();
        assert!(
            message.contains("604800"),
            "the limit as a number: {message}"
        );
    }
    for email in [
        "nobody",
        "ann@",
        "@example.org",
        "a b@example.org",
        "a@b@c.org",
    ] {
        let refused = invite(
            &mut olga.c,
            &conv,
            json!({"role": "member", "email": email}),
        )
        .await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.body["details"]["field"], "email", "{email}");
    }
    for (body, field, reason) in [
        (json!({}), "role", "missing"),
        (json!({"role": "boss"}), "role", "invalid_value"),
        (
            json!({"role": "member", "ttl_seconds": "60"}),
            "ttl_seconds",
            "invalid_type",
        ),
        (
            json!({"role": "member", "email": 5}),
            "email",
            "invalid_type",
        ),
    ] {
        let refused = invite(&mut olga.c, &conv, body.clone()).await;
        refused.assert_problem(422, "invalid_request");
        assert_eq!(
            refused.body["details"],
            json!({"field": field, "reason": reason}),
            "{body}"
        );
    }
    let mut no_csrf = without_csrf(&mut olga.c).await;
    invite(&mut no_csrf, &conv, json!({"role": "member"}))
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
}

async fn accepting_an_invite_joins_with_its_role(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let mut bob = user(&server, "bob").await;
    let mut rita = read_only_user(&server, "rita").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let joined = json!({"conversation_id": conv});

    let viewer = token(&mut olga.c, &conv, json!({"role": "viewer"})).await;
    server.clock.advance_ms(1_000);
    let at = ts(now_ms(&server));
    let accepted = accept(&mut ann.c, &viewer).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body, joined);
    let p = participant(&mut olga.c, &conv, &ann.id).await;
    assert_eq!(p["role"], "viewer");
    assert_eq!(p["joined_at"], at);
    assert_eq!(detail(&mut ann.c, &conv).await["role"], "viewer");

    // Accepting again: the same answer, nothing changes, even once revoked.
    server.clock.advance_ms(1_000);
    let again = accept(&mut ann.c, &viewer).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, joined);
    assert_eq!(revoke(&mut olga.c, &viewer).await.status, 204);
    let again = accept(&mut ann.c, &viewer).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, joined);
    let p = participant(&mut olga.c, &conv, &ann.id).await;
    assert_eq!(
        (&p["role"], &p["joined_at"]),
        (&json!("viewer"), &json!(at))
    );
    assert_eq!(detail(&mut olga.c, &conv).await["participant_count"], 2);

    // …and once expired.
    let short = token(
        &mut olga.c,
        &conv,
        json!({"role": "member", "ttl_seconds": 60}),
    )
    .await;
    assert_eq!(accept(&mut bob.c, &short).await.status, 200);
    server.clock.advance_ms(61_000);
    let again = accept(&mut bob.c, &short).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, joined);
    assert_eq!(detail(&mut bob.c, &conv).await["role"], "member");

    // Any global role may accept; read_only still acts as a viewer.
    let admin_invite = token(&mut olga.c, &conv, json!({"role": "admin"})).await;
    let accepted = accept(&mut rita.c, &admin_invite).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(detail(&mut rita.c, &conv).await["role"], "admin");
    rita.c
        .post(
            &format!("/api/threads/{conv}/root"),
            json!({"content": "hi", "role": "system"}),
        )
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");

    // An owner invite makes an owner, who may invite owners in turn.
    let mut carl = user(&server, "carl").await;
    let owner = token(&mut olga.c, &conv, json!({"role": "owner"})).await;
    assert_eq!(accept(&mut carl.c, &owner).await.status, 200);
    assert_eq!(detail(&mut carl.c, &conv).await["role"], "owner");
    let made = invite(&mut carl.c, &conv, json!({"role": "owner"})).await;
    assert_eq!(made.status, 200, "{}", made.body);

    // A token nobody issued.
    let unknown = accept(&mut carl.c, &"A".repeat(43)).await;
    unknown.assert_problem(404, "RGP.NOT_FOUND");
    accept(&mut carl.c, "not-a-token")
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    let missing = carl.c.post("/api/invites/accept", json!({})).await;
    missing.assert_problem(422, "invalid_request");
    assert_eq!(
        missing.body["details"],
        json!({"field": "token", "reason": "missing"})
    );
}

async fn revoked_expired_and_used_invites_are_gone(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut ann = user(&server, "ann").await;
    let mut bob = user(&server, "bob").await;
    let mut carl = user(&server, "carl").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let member = json!({"role": "member"});
    let short = json!({"role": "member", "ttl_seconds": 60});

    let revoked = token(&mut olga.c, &conv, member.clone()).await;
    assert_eq!(revoke(&mut olga.c, &revoked).await.status, 204);
    assert_gone(&accept(&mut ann.c, &revoked).await, "invite revoked");

    let used = token(&mut olga.c, &conv, member.clone()).await;
    assert_eq!(accept(&mut bob.c, &used).await.status, 200);
    assert_gone(&accept(&mut ann.c, &used).await, "invite already used");

    let expiring = token(&mut olga.c, &conv, short.clone()).await;
    let revoked_then_expired = token(&mut olga.c, &conv, short.clone()).await;
    assert_eq!(revoke(&mut olga.c, &revoked_then_expired).await.status, 204);
    let in_time = token(&mut olga.c, &conv, short).await;
    server.clock.advance_ms(59_000);
    assert_eq!(accept(&mut carl.c, &in_time).await.status, 200);
    server.clock.advance_ms(2_000);
    assert_gone(&accept(&mut ann.c, &expiring).await, "invite expired");
    assert_gone(
        &accept(&mut ann.c, &revoked_then_expired).await,
        "invite revoked",
    );

    // None of the refusals let Ann in.
    ann.c
        .get(&format!("/api/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(detail(&mut olga.c, &conv).await["participant_count"], 3);
}

async fn an_invite_with_an_email_is_for_that_account_only(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut mia = user(&server, "mia").await;
    let mut ann = user(&server, "ann").await;
    let conv = create_conversation(&mut olga.c, "Team").await;

    let for_mia = token(
        &mut olga.c,
        &conv,
        json!({"role": "member", "email": "MIA@Example.ORG"}),
    )
    .await;
    let refused = accept(&mut ann.c, &for_mia).await;
    refused.assert_problem(403, "RGP.RBAC.FORBIDDEN");
    assert_eq!(
        refused.body["message"],
        "invite is for another email address"
    );
    ann.c
        .get(&format!("/api/conversations/{conv}"))
        .await
        .assert_problem(404, "RGP.NOT_FOUND");
    // Regardless of case; Ann's refusal did not use it up.
    let accepted = accept(&mut mia.c, &for_mia).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(detail(&mut mia.c, &conv).await["role"], "member");

    // Gone comes before the email check.
    let revoked = token(
        &mut olga.c,
        &conv,
        json!({"role": "member", "email": "mia@example.org"}),
    )
    .await;
    assert_eq!(revoke(&mut olga.c, &revoked).await.status, 204);
    assert_gone(&accept(&mut ann.c, &revoked).await, "invite revoked");

    // The email check comes before "already a participant".
    let for_ann = token(
        &mut olga.c,
        &conv,
        json!({"role": "viewer", "email": "ann@example.org"}),
    )
    .await;
    accept(&mut mia.c, &for_ann)
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");

    // Already a participant: 409, and the invite stays unused.
    let open = token(&mut olga.c, &conv, json!({"role": "viewer"})).await;
    for c in [&mut olga.c, &mut mia.c] {
        let refused = accept(c, &open).await;
        refused.assert_problem(409, "RGP.CONFLICT");
        assert_eq!(refused.body["message"], "already a participant");
    }
    assert_eq!(detail(&mut mia.c, &conv).await["role"], "member");
    let accepted = accept(&mut ann.c, &open).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(detail(&mut ann.c, &conv).await["role"], "viewer");
    // Ann's own invite now finds her a participant.
    let refused = accept(&mut ann.c, &for_ann).await;
    refused.assert_problem(409, "RGP.CONFLICT");
    assert_eq!(refused.body["message"], "already a participant");
}

async fn revoking_changes_nothing_once_settled(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut adam = user(&server, "adam").await;
    let mut mia = user(&server, "mia").await;
    let mut ann = user(&server, "ann").await;
    let mut bob = user(&server, "bob").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    add(&mut olga.c, &conv, &adam.id, "admin").await;
    add(&mut olga.c, &conv, &mia.id, "member").await;
    let member = json!({"role": "member"});

    // An admin revokes; revoking again changes nothing.
    let first = token(&mut olga.c, &conv, member.clone()).await;
    let revoked = revoke(&mut adam.c, &first).await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    assert_eq!(revoke(&mut olga.c, &first).await.status, 204);
    assert_eq!(revoke(&mut adam.c, &first).await.status, 204);
    assert_gone(&accept(&mut ann.c, &first).await, "invite revoked");

    // An accepted invite's membership stays.
    let used = token(&mut olga.c, &conv, member.clone()).await;
    assert_eq!(accept(&mut ann.c, &used).await.status, 200);
    assert_eq!(revoke(&mut olga.c, &used).await.status, 204);
    assert_eq!(detail(&mut ann.c, &conv).await["role"], "member");
    assert_eq!(accept(&mut ann.c, &used).await.status, 200);
    assert_gone(&accept(&mut bob.c, &used).await, "invite already used");

    // An expired invite stays expired.
    let short = token(
        &mut olga.c,
        &conv,
        json!({"role": "member", "ttl_seconds": 60}),
    )
    .await;
    server.clock.advance_ms(61_000);
    assert_eq!(revoke(&mut olga.c, &short).await.status, 204);
    assert_gone(&accept(&mut bob.c, &short).await, "invite expired");

    // Who may revoke.
    let open = token(&mut olga.c, &conv, member).await;
    revoke(&mut mia.c, &open)
        .await
        .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    let outsider = revoke(&mut bob.c, &open).await;
    outsider.assert_problem(404, "RGP.NOT_FOUND");
    let unknown = revoke(&mut olga.c, &"A".repeat(43)).await;
    unknown.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(outsider.body, unknown.body);
    let mut no_csrf = without_csrf(&mut olga.c).await;
    revoke(&mut no_csrf, &open)
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
    // None of the refusals revoked it.
    let accepted = accept(&mut bob.c, &open).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}
