//! Appending to a transcript, alone and from concurrent writers.

use futures::future::join_all;
use sybil_domain::{Role, Timestamp};
use sybil_ports::outbound::ChatRepository;
use sybil_storage::SeaOrmStorage;
use uuid::Uuid;

use crate::support::{TestDb, chat_at, count_for_chat, message, tool_message};

const WRITERS: usize = 8;
const PER_WRITER: usize = 25;

pub async fn append_to_unknown_chat_stores_nothing(db: &TestDb) {
    let ghost = Uuid::now_v7();
    let appended = db
        .append_messages(ghost, &[message(Role::User, "lost", 1)], None, Timestamp(9))
        .await
        .unwrap();
    assert!(!appended);
    assert_eq!(count_for_chat(db, "messages", ghost).await, 0);
    assert!(db.list_chats().await.unwrap().is_empty());
}

pub async fn append_keeps_order_and_sets_updated_at(s: &SeaOrmStorage) {
    let chat = chat_at(1_000);
    let first = message(Role::User, "first", 1_000);
    s.create_chat(&chat, std::slice::from_ref(&first))
        .await
        .unwrap();

    let later = [
        tool_message(5_000),
        message(Role::Assistant, "second", 4_000),
    ];
    assert!(
        s.append_messages(chat.id, &later, None, Timestamp(5_000))
            .await
            .unwrap()
    );

    let loaded = s.load_chat(chat.id).await.unwrap().unwrap();
    assert_eq!(loaded.chat.updated_at, Timestamp(5_000));
    assert_eq!(loaded.chat.created_at, chat.created_at);
    // Creation order, not created_at order.
    assert_eq!(
        loaded.messages,
        vec![first, later[0].clone(), later[1].clone()]
    );

    assert!(
        s.append_messages(chat.id, &[], None, Timestamp(6_000))
            .await
            .unwrap()
    );
    let touched = s.load_chat(chat.id).await.unwrap().unwrap();
    assert_eq!(touched.chat.updated_at, Timestamp(6_000));
    assert_eq!(touched.messages.len(), 3);
}

pub async fn concurrent_appends_keep_every_message_in_writer_order(s: &SeaOrmStorage) {
    let chat = chat_at(1);
    s.create_chat(&chat, &[]).await.unwrap();

    let writers = (0..WRITERS).map(|w| async move {
        for i in 0..PER_WRITER {
            let m = message(Role::User, &format!("w{w}-{i}"), (w * 1_000 + i) as i64);
            let ok = s
                .append_messages(chat.id, &[m], None, Timestamp(10 + i as i64))
                .await
                .unwrap_or_else(|e| panic!("writer {w} append {i}: {e}"));
            assert!(ok);
        }
    });
    join_all(writers).await;

    let loaded = s.load_chat(chat.id).await.unwrap().unwrap();
    assert_eq!(loaded.messages.len(), WRITERS * PER_WRITER);
    for w in 0..WRITERS {
        let prefix = format!("w{w}-");
        let mine: Vec<&str> = loaded
            .messages
            .iter()
            .filter_map(|m| m.content.strip_prefix(&prefix))
            .collect();
        let expected: Vec<String> = (0..PER_WRITER).map(|i| i.to_string()).collect();
        assert_eq!(mine, expected, "writer {w} order");
    }
}

pub async fn history_head_is_the_first_non_tool_messages_in_order(s: &SeaOrmStorage) {
    let chat = chat_at(1_000);
    let transcript = [
        message(Role::System, "be brief", 1_000),
        message(Role::User, "weather?", 1_001),
        tool_message(1_002),
        message(Role::Assistant, "sunny", 1_003),
        message(Role::User, "tomorrow?", 1_004),
    ];
    s.create_chat(&chat, &transcript).await.unwrap();

    let head = |limit| s.history_head(chat.id, limit);
    let pairs = |items: &[(Role, &str)]| -> Vec<(Role, String)> {
        items.iter().map(|(r, c)| (*r, c.to_string())).collect()
    };
    assert_eq!(
        head(3).await.unwrap(),
        pairs(&[
            (Role::System, "be brief"),
            (Role::User, "weather?"),
            (Role::Assistant, "sunny")
        ])
    );
    assert_eq!(head(10).await.unwrap().len(), 4);
    assert!(head(0).await.unwrap().is_empty());
    assert!(s.history_head(Uuid::now_v7(), 5).await.unwrap().is_empty());
}
