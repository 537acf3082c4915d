//! The history rule applied atomically: identical requests sent at once
//! store their new messages once.

use std::sync::Arc;

use futures::future::join_all;
use sybil_domain::{Message, ModelChoice, Provider, Role, Timestamp};
use sybil_ports::outbound::ChatRepository;
use sybil_storage::SeaOrmStorage;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::support::{bare_chat, message};

const CHATS: usize = 10;
const SAME_REQUESTS: usize = 2;

fn openai() -> Option<ModelChoice> {
    Some(ModelChoice {
        provider: Provider::OpenAi,
        model: "gpt-4.1-mini".into(),
    })
}

/// One request's messages: fresh ids, as each request gets its own.
fn request(chat: usize) -> Vec<Message> {
    vec![
        message(Role::System, "be brief", 2),
        message(Role::User, "hi", 2),
        message(Role::Assistant, "hello", 2),
        message(Role::User, &format!("next {chat}"), 2),
    ]
}

pub async fn identical_concurrent_appends_store_the_new_messages_once(s: &SeaOrmStorage) {
    let mut chats = Vec::new();
    for _ in 0..CHATS {
        let chat = bare_chat(1);
        let stored = [
            message(Role::System, "be brief", 1),
            message(Role::User, "hi", 1),
            message(Role::Tool, "a tool's output", 1),
            message(Role::Assistant, "hello", 1),
        ];
        s.create_chat(&chat, &stored).await.unwrap();
        chats.push(chat.id);
    }
    // Every request starts together, so each pair really overlaps.
    let start = Arc::new(Barrier::new(CHATS * SAME_REQUESTS));
    let requests = chats
        .iter()
        .enumerate()
        .flat_map(|(i, &chat)| (0..SAME_REQUESTS).map(move |_| (i, chat)));
    let tasks = requests.map(|(i, chat)| {
        let (s, start) = (s.clone(), start.clone());
        tokio::spawn(async move {
            start.wait().await;
            s.append_new_messages(chat, &request(i), openai(), Timestamp(2))
                .await
        })
    });
    for appended in join_all(tasks.collect::<Vec<_>>()).await {
        assert!(appended.unwrap().unwrap());
    }
    for (i, chat) in chats.into_iter().enumerate() {
        let loaded = s.load_chat(chat).await.unwrap().unwrap();
        let contents: Vec<&str> = loaded.messages.iter().map(|m| m.content.as_str()).collect();
        let next = format!("next {i}");
        assert_eq!(
            contents,
            ["be brief", "hi", "a tool's output", "hello", next.as_str()],
            "chat {i}"
        );
        assert_eq!(loaded.chat.last_used, openai());
    }
}

pub async fn appending_the_new_messages_follows_the_history_rule(s: &SeaOrmStorage) {
    let chat = bare_chat(1);
    s.create_chat(&chat, &[message(Role::User, "a", 1)])
        .await
        .unwrap();
    // After the prefix: the user's message is new, the assistant's is not stored.
    let provided = [
        message(Role::User, "a", 2),
        message(Role::Assistant, "b", 2),
        message(Role::User, "c", 2),
    ];
    assert!(
        s.append_new_messages(chat.id, &provided, None, Timestamp(3))
            .await
            .unwrap()
    );
    let loaded = s.load_chat(chat.id).await.unwrap().unwrap();
    let stored: Vec<(Role, &str)> = loaded
        .messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(stored, [(Role::User, "a"), (Role::User, "c")]);
    assert_eq!(loaded.messages[1].id, provided[2].id);
    assert_eq!(loaded.chat.updated_at, Timestamp(3));
    // An unknown chat stores nothing.
    let ghost = Uuid::now_v7();
    assert!(
        !s.append_new_messages(ghost, &provided, None, Timestamp(4))
            .await
            .unwrap()
    );
    assert!(s.load_chat(ghost).await.unwrap().is_none());
}
