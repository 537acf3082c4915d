//! `/api` conversations end to end (COLLAB-API.md §2.2, §2.3, §3.6,
//! §4.5–§4.9, §5.1, §5.4), each case on SQLite and on PostgreSQL, written
//! from the contract alone.
//!
//! Posts made through the helpers below move the server's clock by 200 ms
//! first: the posting limit (§7.5, 5 per second, burst 10) never interferes,
//! and creation times differ by more than the server's own millisecond.

mod assistant;
mod events;
mod invites;
mod maintenance;
mod membership;
mod messages;
mod permissions;
mod replies;
pub mod stream;
mod threads;
mod typing_presence;
mod unread;

use serde_json::{Value, json};
use sybil_ports::outbound::Clock;

use crate::accounts::kit::{Backend, Client, Server};

/// §5.4's message for a reply with no provider and model.
pub const NO_MODEL: &str = "no provider and model: set them on the post or the conversation, or set ASSISTANT_DEFAULT_PROVIDER and ASSISTANT_DEFAULT_MODEL";
pub const LAST_OWNER: &str = "conversation needs at least one owner";

/// A server whose login throttle lets one test sign in many users from
/// one address; `vars` as for [`Server::start`].
pub async fn start(backend: Backend, vars: &[(&str, &str)]) -> Option<Server> {
    let mut all = vec![("LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000")];
    all.extend_from_slice(vars);
    Server::start(backend, &all).await
}

/// A signed-in user and its id.
pub struct User {
    pub c: Client,
    pub id: String,
}

/// A `member` account `name` (email `name@example.org`), signed in.
pub async fn user(server: &Server, name: &str) -> User {
    let mut c = server.member(name, json!(["member"])).await;
    let id = c.id().await;
    User { c, id }
}

/// A `read_only` account, signed in.
pub async fn read_only_user(server: &Server, name: &str) -> User {
    let mut c = server.member(name, json!(["read_only"])).await;
    let id = c.id().await;
    User { c, id }
}

/// A conversation with one participant of each role, a `read_only` user
/// stored as `admin`, and an outsider.
pub struct Room {
    pub conv: String,
    pub owner: User,
    pub admin: User,
    pub member: User,
    pub viewer: User,
    /// Global role `read_only`, membership role `admin`: acts as a viewer.
    pub ro: User,
    pub outsider: User,
}

pub async fn room(server: &Server) -> Room {
    let mut owner = user(server, "olga").await;
    let admin = user(server, "adam").await;
    let member = user(server, "mia").await;
    let viewer = user(server, "vic").await;
    let ro = read_only_user(server, "rita").await;
    let outsider = user(server, "otto").await;
    let conv = create_conversation(&mut owner.c, "Room").await;
    for (id, role) in [
        (&admin.id, "admin"),
        (&member.id, "member"),
        (&viewer.id, "viewer"),
        (&ro.id, "admin"),
    ] {
        server.clock.advance_ms(1_000);
        add(&mut owner.c, &conv, id, role).await;
    }
    Room {
        conv,
        owner,
        admin,
        member,
        viewer,
        ro,
        outsider,
    }
}

pub async fn create_conversation(c: &mut Client, title: &str) -> String {
    let made = c.post("/api/conversations", json!({"title": title})).await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_string()
}

/// A copy of `c` that sends no CSRF token. `c` makes one request first, so
/// that a pending rotation (§3.3) lands on `c` and not on the copy.
pub async fn without_csrf(c: &mut Client) -> Client {
    c.id().await;
    let mut copy = c.clone();
    copy.csrf = None;
    copy
}

/// Adds (or re-roles) a participant, expecting 204.
pub async fn add(c: &mut Client, conv: &str, user_id: &str, role: &str) {
    let added = c
        .post(
            &format!("/api/conversations/{conv}/participants"),
            json!({"user_id": user_id, "role": role}),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.body);
}

/// Posts a root with this body (after moving the clock 200 ms).
pub async fn post_root(
    server: &Server,
    c: &mut Client,
    conv: &str,
    body: Value,
) -> crate::accounts::kit::Answer {
    server.clock.advance_ms(200);
    c.post(&format!("/api/threads/{conv}/root"), body).await
}

/// Posts a reply with this body (after moving the clock 200 ms).
pub async fn post_reply(
    server: &Server,
    c: &mut Client,
    parent: &str,
    body: Value,
) -> crate::accounts::kit::Answer {
    server.clock.advance_ms(200);
    c.post(&format!("/api/messages/{parent}/reply"), body).await
}

/// A `system` root (no assistant reply); its id.
pub async fn system_root(server: &Server, c: &mut Client, conv: &str, content: &str) -> String {
    let posted = post_root(
        server,
        c,
        conv,
        json!({"content": content, "role": "system"}),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    posted.body["message_id"].as_str().unwrap().to_string()
}

/// A `system` reply (no assistant reply); its id.
pub async fn system_reply(server: &Server, c: &mut Client, parent: &str, content: &str) -> String {
    let posted = post_reply(
        server,
        c,
        parent,
        json!({"content": content, "role": "system"}),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    posted.body["message_id"].as_str().unwrap().to_string()
}

/// A root with the default role `user`; the answer's body (with
/// `assistant_message_id`).
pub async fn user_root(server: &Server, c: &mut Client, conv: &str, content: &str) -> Value {
    let posted = post_root(server, c, conv, json!({"content": content})).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    posted.body
}

/// A reply with the default role `user`; the answer's body.
pub async fn user_reply(server: &Server, c: &mut Client, parent: &str, content: &str) -> Value {
    let posted = post_reply(server, c, parent, json!({"content": content})).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    posted.body
}

/// The whole tree of a thread, in the server's order.
pub async fn tree(c: &mut Client, root: &str) -> Vec<Value> {
    let got = c.get(&format!("/api/threads/{root}/tree?limit=500")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["root_id"], root, "{}", got.body);
    got.body["messages"].as_array().expect("messages").clone()
}

/// A server on fresh provider fakes (and `extra`), with their fakes.
pub async fn start_with_fakes(
    backend: Backend,
    extra: &[(&str, &str)],
) -> Option<(Server, crate::helpers::Fakes)> {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = start(backend, &vars).await?;
    Some((server, fakes))
}

/// The message `id` of the thread of `root` once `done` holds of it: what
/// a reply does after the post's answer has gone out.
pub async fn once(c: &Client, root: &str, id: &str, done: fn(&Value) -> bool) -> Value {
    let (c, root, id) = (c.clone(), root.to_string(), id.to_string());
    crate::helpers::eventually(std::time::Duration::from_secs(20), || {
        let (mut c, root, id) = (c.clone(), root.clone(), id.clone());
        async move {
            let found = tree(&mut c, &root)
                .await
                .into_iter()
                .find(|m| m["id"] == id.as_str())?;
            done(&found).then_some(found)
        }
    })
    .await
    .expect("the message got there")
}

/// The reply `id` once it has ended.
pub async fn ended(c: &Client, root: &str, id: &str) -> Value {
    once(c, root, id, |m| m["status"] != "streaming").await
}

/// One message of a thread, as the tree shows it.
pub async fn message(c: &mut Client, root: &str, id: &str) -> Value {
    tree(c, root)
        .await
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("message {id} not in thread {root}"))
}

pub async fn detail(c: &mut Client, conv: &str) -> Value {
    let got = c.get(&format!("/api/conversations/{conv}")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body
}

/// The participant `user_id` in a conversation's detail.
pub async fn participant(c: &mut Client, conv: &str, user_id: &str) -> Value {
    detail(c, conv).await["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == user_id)
        .unwrap_or_else(|| panic!("{user_id} is not a participant"))
        .clone()
}

/// The caller's unread counts as `(root_id, unread)` pairs, in order.
pub async fn unread(c: &mut Client, conv: &str) -> Vec<(String, i64)> {
    let got = c.get(&format!("/api/conversations/{conv}/unread")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(keys(&got.body), ["threads"], "{}", got.body);
    got.body["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(keys(t), ["root_id", "unread"], "{t}");
            (
                t["root_id"].as_str().unwrap().to_string(),
                t["unread"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// An object's field names, sorted.
pub fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// A fresh id nobody has.
pub fn unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The server's time now, in milliseconds since the epoch.
pub fn now_ms(server: &Server) -> i64 {
    server.clock.now().millis()
}

/// §1.2's form of an instant: `2026-02-14T09:30:00.125Z`.
pub fn ts(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// The milliseconds of a §1.2 timestamp (asserting its form).
pub fn ms(ts: &str) -> i64 {
    let b = ts.as_bytes();
    assert!(
        ts.len() == 24
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'.'
            && b[23] == b'Z',
        "not a timestamp of the contract's form: {ts}"
    );
    let n = |from: usize, to: usize| -> i64 {
        ts[from..to]
            .parse()
            .unwrap_or_else(|_| panic!("not a timestamp: {ts}"))
    };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + n(11, 13)) * 60 + n(14, 16)) * 60_000 + n(17, 19) * 1000 + n(20, 23)
}

/// The labels of a §2.3 path (asserting its form: 16 lowercase hex digits
/// per label, joined by `.`).
pub fn labels(path: &str) -> Vec<u64> {
    path.split('.')
        .map(|label| {
            assert!(
                label.len() == 16
                    && label
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "not a path of the contract's form: {path:?}"
            );
            u64::from_str_radix(label, 16).unwrap()
        })
        .collect()
}

#[test]
fn timestamps_round_trip() {
    assert_eq!(ts(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(ts(1_771_061_400_125), "2026-02-14T09:30:00.125Z");
    assert_eq!(ms("2026-02-14T09:30:00.125Z"), 1_771_061_400_125);
    assert_eq!(ms("2000-02-29T23:59:59.999Z"), 951_868_799_999);
    assert_eq!(ts(951_868_799_999), "2000-02-29T23:59:59.999Z");
    assert_eq!(labels("0000000000000007.000000000000000c"), [7, 12]);
}
