//! Assistant replies as far as they show without a provider (§5.1, §5.4):
//! the reply a `user` post starts, where it sits in the tree, the error it
//! ends with, which provider it resolved, and cancelling it (§4.8).

use serde_json::{Value, json};

use super::{
    NO_MODEL, add, create_conversation, detail, keys, labels, post_reply, post_root, start,
    system_reply, tree, unknown_id, user, user_root, without_csrf,
};
use crate::accounts::kit::{Answer, Backend, Client, Server, both_backends};

both_backends!(
    a_user_post_gets_a_reply_that_fails_without_a_model,
    system_posts_get_no_reply,
    the_post_then_the_conversation_name_the_provider,
    the_server_default_names_the_provider_last,
    a_failed_reply_cancels_as_completed,
);

const REPLY_FIELDS: [&str; 11] = [
    "content",
    "conversation_id",
    "created_at",
    "depth",
    "error",
    "id",
    "parent_id",
    "path",
    "role",
    "root_id",
    "status",
];

/// The assistant reply `id` in thread `root`, checked against §5.1: a child
/// of `parent`, no author, no content, ended with an error.
async fn failed_reply(c: &mut Client, root: &str, id: &str, parent: &str) -> Value {
    let messages = tree(c, root).await;
    let parent_view = messages.iter().find(|m| m["id"] == parent).unwrap();
    let reply = messages
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("reply {id} not in the tree"))
        .clone();
    assert_eq!(reply["role"], "assistant", "{reply}");
    assert_eq!(reply["parent_id"], parent);
    assert_eq!(reply["root_id"], root);
    assert_eq!(reply["conversation_id"], parent_view["conversation_id"]);
    assert!(reply.get("author_user_id").is_none(), "{reply}");
    assert_eq!(reply["content"], "");
    assert_eq!(reply["status"], "error");
    assert_eq!(reply["depth"], parent_view["depth"].as_i64().unwrap() + 1);
    let mut path = labels(parent_view["path"].as_str().unwrap());
    path.push(path.last().unwrap() + 1);
    assert_eq!(
        labels(reply["path"].as_str().unwrap()),
        path,
        "the next number after its post"
    );
    assert!(reply["created_at"].as_str() > parent_view["created_at"].as_str());
    reply
}

/// Posts a root with this body and returns `(root, reply)` ids.
async fn ask(server: &Server, c: &mut Client, conv: &str, body: Value) -> (String, String) {
    let posted = post_root(server, c, conv, body).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    (
        posted.body["message_id"].as_str().unwrap().to_string(),
        posted.body["assistant_message_id"]
            .as_str()
            .expect("assistant_message_id")
            .to_string(),
    )
}

fn not_configured(provider: &str, variable: &str) -> Value {
    json!({
        "code": "provider_not_configured",
        "message": format!("provider {provider} is not configured: set {variable}"),
    })
}

async fn a_user_post_gets_a_reply_that_fails_without_a_model(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Team").await;

    let posted = post_root(&server, &mut olga.c, &conv, json!({"content": "hello"})).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert_eq!(
        keys(&posted.body),
        [
            "assistant_message_id",
            "conversation_id",
            "depth",
            "message_id",
            "root_id"
        ]
    );
    let p = posted.body["message_id"].as_str().unwrap().to_string();
    let a = posted.body["assistant_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(p, a);
    assert_eq!(posted.body["root_id"], p);
    assert_eq!(posted.body["depth"], 1);

    let messages = tree(&mut olga.c, &p).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let post = &messages[0];
    assert_eq!(post["id"], p);
    assert_eq!(post["role"], "user");
    assert_eq!(post["author_user_id"], olga.id);
    for absent in ["status", "error", "provider", "model"] {
        assert!(post.get(absent).is_none(), "{absent}: {post}");
    }
    assert_eq!(messages[1]["id"], a);
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(keys(&reply), REPLY_FIELDS, "no provider, no model: {reply}");
    assert_eq!(
        reply["error"],
        json!({"code": "no_model", "message": NO_MODEL})
    );
    assert_eq!(labels(reply["path"].as_str().unwrap()), [1, 2]);

    // A reply with role `user`, here to the assistant's reply.
    let replied = post_reply(
        &server,
        &mut olga.c,
        &a,
        json!({"content": "again", "role": "user"}),
    )
    .await;
    assert_eq!(replied.status, 201, "{}", replied.body);
    assert_eq!(
        keys(&replied.body),
        [
            "assistant_message_id",
            "conversation_id",
            "depth",
            "message_id",
            "parent_id",
            "root_id"
        ]
    );
    assert_eq!(replied.body["depth"], 3);
    assert_eq!(replied.body["parent_id"], a);
    let q = replied.body["message_id"].as_str().unwrap();
    let b = replied.body["assistant_message_id"].as_str().unwrap();
    let second = failed_reply(&mut olga.c, &p, b, q).await;
    assert_eq!(second["depth"], 4);
    assert_eq!(second["error"]["code"], "no_model");
    let messages = tree(&mut olga.c, &p).await;
    let order: Vec<&Value> = messages.iter().map(|m| &m["id"]).collect();
    assert_eq!(order, [&json!(p), &json!(a), &json!(q), &json!(b)]);
    // The newest message of the conversation is the last reply.
    assert_eq!(
        detail(&mut olga.c, &conv).await["last_activity_at"],
        second["created_at"]
    );
    // No text, no chunks.
    let chunks = olga.c.get(&format!("/api/messages/{b}/chunks")).await;
    assert_eq!(chunks.status, 200, "{}", chunks.body);
    assert_eq!(chunks.body, json!([]));
}

async fn system_posts_get_no_reply(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    let posted = post_root(
        &server,
        &mut olga.c,
        &conv,
        json!({"content": "be brief", "role": "system"}),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert!(
        posted.body.get("assistant_message_id").is_none(),
        "{}",
        posted.body
    );
    let r = posted.body["message_id"].as_str().unwrap().to_string();
    let replied = post_reply(
        &server,
        &mut olga.c,
        &r,
        json!({"content": "really", "role": "system"}),
    )
    .await;
    assert_eq!(replied.status, 201, "{}", replied.body);
    assert!(replied.body.get("assistant_message_id").is_none());
    let messages = tree(&mut olga.c, &r).await;
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["role"] == "system"));

    // A user reply under a system root gets one.
    let asked = super::user_reply(&server, &mut olga.c, &r, "question").await;
    let q = asked["message_id"].as_str().unwrap();
    let a = asked["assistant_message_id"].as_str().unwrap();
    failed_reply(&mut olga.c, &r, a, q).await;
    assert_eq!(tree(&mut olga.c, &r).await.len(), 4);
}

async fn the_post_then_the_conversation_name_the_provider(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let plain = create_conversation(&mut olga.c, "Plain").await;
    let made = olga
        .c
        .post(
            "/api/conversations",
            json!({"title": "Grok", "provider": "xai", "model": "grok-3"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let grok = made.body["conversation_id"].as_str().unwrap().to_string();

    // The conversation's defaults.
    let (p, a) = ask(&server, &mut olga.c, &grok, json!({"content": "hi"})).await;
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(reply["error"], not_configured("xai", "XAI_API_KEY"));
    assert_eq!(reply["provider"], "xai");
    assert_eq!(reply["model"], "grok-3");
    let mut fields = REPLY_FIELDS.to_vec();
    fields.extend(["model", "provider"]);
    fields.sort_unstable();
    assert_eq!(keys(&reply), fields);

    // The post's own, over the conversation's.
    let (p, a) = ask(
        &server,
        &mut olga.c,
        &grok,
        json!({"content": "hi", "provider": "anthropic", "model": "claude-x"}),
    )
    .await;
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(
        reply["error"],
        not_configured("anthropic", "ANTHROPIC_API_KEY")
    );
    assert_eq!(reply["provider"], "anthropic");
    assert_eq!(reply["model"], "claude-x");
    // On a reply too.
    let replied = post_reply(
        &server,
        &mut olga.c,
        &p,
        json!({"content": "and?", "provider": "openai", "model": "gpt-4o-mini"}),
    )
    .await;
    assert_eq!(replied.status, 201, "{}", replied.body);
    let q = replied.body["message_id"].as_str().unwrap();
    let b = replied.body["assistant_message_id"].as_str().unwrap();
    let reply = failed_reply(&mut olga.c, &p, b, q).await;
    assert_eq!(reply["error"], not_configured("openai", "OPENAI_API_KEY"));
    assert_eq!(reply["provider"], "openai");
    assert_eq!(reply["model"], "gpt-4o-mini");

    // Neither: no model.
    let (p, a) = ask(&server, &mut olga.c, &plain, json!({"content": "hi"})).await;
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(
        reply["error"],
        json!({"code": "no_model", "message": NO_MODEL})
    );
    assert!(reply.get("provider").is_none() && reply.get("model").is_none());
}

async fn the_server_default_names_the_provider_last(backend: Backend) {
    let vars = [
        ("ASSISTANT_DEFAULT_PROVIDER", "openai"),
        ("ASSISTANT_DEFAULT_MODEL", "gpt-4o-mini"),
    ];
    let Some(server) = start(backend, &vars).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let plain = create_conversation(&mut olga.c, "Plain").await;
    let (p, a) = ask(&server, &mut olga.c, &plain, json!({"content": "hi"})).await;
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(reply["error"], not_configured("openai", "OPENAI_API_KEY"));
    assert_eq!(reply["provider"], "openai");
    assert_eq!(reply["model"], "gpt-4o-mini");

    let made = olga
        .c
        .post(
            "/api/conversations",
            json!({"title": "Grok", "provider": "xai", "model": "grok-3"}),
        )
        .await;
    let grok = made.body["conversation_id"].as_str().unwrap().to_string();
    let (p, a) = ask(&server, &mut olga.c, &grok, json!({"content": "hi"})).await;
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(reply["error"], not_configured("xai", "XAI_API_KEY"));
    assert_eq!(reply["provider"], "xai");
}

async fn cancel(c: &mut Client, id: &str) -> Answer {
    c.post_empty(&format!("/api/messages/{id}/cancel")).await
}

async fn a_failed_reply_cancels_as_completed(backend: Backend) {
    let Some(server) = start(backend, &[]).await else {
        return;
    };
    let mut olga = user(&server, "olga").await;
    let mut adam = user(&server, "adam").await;
    let mut mia = user(&server, "mia").await;
    let mut mo = user(&server, "mo").await;
    let mut vic = user(&server, "vic").await;
    let mut otto = user(&server, "otto").await;
    let conv = create_conversation(&mut olga.c, "Team").await;
    for (id, role) in [
        (&adam.id, "admin"),
        (&mia.id, "member"),
        (&mo.id, "member"),
        (&vic.id, "viewer"),
    ] {
        add(&mut olga.c, &conv, id, role).await;
    }
    let asked = user_root(&server, &mut mia.c, &conv, "question").await;
    let p = asked["message_id"].as_str().unwrap().to_string();
    let a = asked["assistant_message_id"].as_str().unwrap().to_string();
    let completed = json!({"message_id": a, "status": "completed"});

    // Not the author of the answered message, or a viewer: 403.
    for c in [&mut mo.c, &mut vic.c] {
        cancel(c, &a)
            .await
            .assert_problem(403, "RGP.RBAC.FORBIDDEN");
    }
    // The author, an admin, the owner; repeating gives the same answer.
    for who in ["mia", "mia", "adam", "olga"] {
        let c = match who {
            "mia" => &mut mia.c,
            "adam" => &mut adam.c,
            _ => &mut olga.c,
        };
        let cancelled = cancel(c, &a).await;
        assert_eq!(cancelled.status, 202, "{}", cancelled.body);
        assert_eq!(cancelled.body, completed);
    }
    let reply = failed_reply(&mut olga.c, &p, &a, &p).await;
    assert_eq!(reply["error"]["code"], "no_model");

    // Only assistant messages; 400 comes before 403.
    let note = system_reply(&server, &mut olga.c, &p, "a note").await;
    for (c, id) in [
        (&mut mia.c, p.as_str()),
        (&mut vic.c, p.as_str()),
        (&mut olga.c, note.as_str()),
    ] {
        let refused = cancel(c, id).await;
        refused.assert_problem(400, "RGP.V1.CANCEL_ROLE");
        assert_eq!(
            refused.body["message"],
            "only assistant messages can be cancelled"
        );
    }
    // Unknown and not a member: the same 404.
    let unknown = cancel(&mut otto.c, &unknown_id()).await;
    unknown.assert_problem(404, "RGP.NOT_FOUND");
    let hidden = cancel(&mut otto.c, &a).await;
    hidden.assert_problem(404, "RGP.NOT_FOUND");
    assert_eq!(hidden.body, unknown.body);
    let bad = cancel(&mut olga.c, "not-a-uuid").await;
    bad.assert_problem(400, "validation_failed");
    assert_eq!(bad.body["details"]["field"], "message_id");
    let mut no_csrf = without_csrf(&mut mia.c).await;
    cancel(&mut no_csrf, &a)
        .await
        .assert_problem(403, "RGP.AUTH.CSRF");
}
