//! Creating, loading, listing, renaming and deleting chats.

use sybil_domain::{Role, Timestamp};
use sybil_ports::outbound::{ChatRepository, ChatWithMessages};
use sybil_storage::SeaOrmStorage;
use uuid::Uuid;

use crate::support::{
    TestDb, bare_chat, chat_at, count_for_chat, insert_llm_call, message, rich_metadata,
    tool_message,
};

pub async fn create_then_load_round_trips_every_field(s: &SeaOrmStorage) {
    let chat = chat_at(1_700_000_000_123);
    let mut user = message(Role::User, "héllo 👋\nsecond line", 1_700_000_000_200);
    user.metadata = Some(serde_json::json!({ "client": "web" }));
    let messages = vec![
        message(Role::System, "", 1_700_000_000_100),
        user,
        tool_message(1_700_000_000_300),
        message(Role::Assistant, "answer", 1_700_000_000_400),
    ];
    assert_eq!(messages[2].metadata, Some(rich_metadata()));
    s.create_chat(&chat, &messages).await.unwrap();

    let loaded = s.load_chat(chat.id).await.unwrap().expect("chat exists");
    assert_eq!(loaded, ChatWithMessages { chat, messages });
}

pub async fn a_chat_without_title_or_model_round_trips(s: &SeaOrmStorage) {
    let chat = bare_chat(5);
    s.create_chat(&chat, &[]).await.unwrap();
    let loaded = s.load_chat(chat.id).await.unwrap().expect("chat exists");
    assert_eq!(loaded.chat, chat);
    assert!(loaded.messages.is_empty());
    assert_eq!(s.list_chats().await.unwrap(), vec![chat]);
}

pub async fn unknown_chats_load_as_none(s: &SeaOrmStorage) {
    assert_eq!(s.load_chat(Uuid::now_v7()).await.unwrap(), None);
}

pub async fn list_is_most_recently_updated_first(s: &SeaOrmStorage) {
    let old = chat_at(100);
    let newest = chat_at(300);
    let middle = chat_at(200);
    // Same updatedAt: the larger id comes first, so the order is total.
    let (mut tie_a, mut tie_b) = (bare_chat(250), bare_chat(250));
    if tie_a.id < tie_b.id {
        std::mem::swap(&mut tie_a, &mut tie_b);
    }
    for chat in [&old, &tie_b, &newest, &middle, &tie_a] {
        s.create_chat(chat, &[]).await.unwrap();
    }
    assert_eq!(
        s.list_chats().await.unwrap(),
        vec![newest, tie_a, tie_b, middle, old]
    );
}

pub async fn rename_sets_title_and_updated_at(s: &SeaOrmStorage) {
    let chat = chat_at(1_000);
    s.create_chat(&chat, &[message(Role::User, "hi", 1_000)])
        .await
        .unwrap();

    let renamed = s
        .rename_chat(chat.id, Some("Trip to Lisbon".into()), Timestamp(2_000))
        .await
        .unwrap()
        .expect("chat exists");
    let mut expected = chat.clone();
    expected.title = Some("Trip to Lisbon".into());
    expected.updated_at = Timestamp(2_000);
    assert_eq!(renamed, expected);
    assert_eq!(s.load_chat(chat.id).await.unwrap().unwrap().chat, expected);

    let cleared = s
        .rename_chat(chat.id, None, Timestamp(3_000))
        .await
        .unwrap()
        .expect("chat exists");
    assert_eq!(cleared.title, None);
    assert_eq!(cleared.updated_at, Timestamp(3_000));
    assert_eq!(cleared.created_at, chat.created_at);
}

pub async fn rename_of_unknown_chat_is_none(s: &SeaOrmStorage) {
    let answer = s
        .rename_chat(Uuid::now_v7(), Some("x".into()), Timestamp(1))
        .await
        .unwrap();
    assert_eq!(answer, None);
    assert!(s.list_chats().await.unwrap().is_empty());
}

pub async fn delete_cascades_to_messages_and_calls(db: &TestDb) {
    let chat = chat_at(1_000);
    let other = chat_at(2_000);
    let msgs = [message(Role::User, "a", 1), tool_message(2)];
    db.create_chat(&chat, &msgs).await.unwrap();
    db.create_chat(&other, &[message(Role::User, "keep", 3)])
        .await
        .unwrap();
    insert_llm_call(db, chat.id).await;
    assert_eq!(count_for_chat(db, "messages", chat.id).await, 2);
    assert_eq!(count_for_chat(db, "llm_calls", chat.id).await, 1);

    assert!(db.delete_chat(chat.id).await.unwrap());

    assert_eq!(db.load_chat(chat.id).await.unwrap(), None);
    assert_eq!(count_for_chat(db, "messages", chat.id).await, 0);
    assert_eq!(count_for_chat(db, "llm_calls", chat.id).await, 0);
    assert_eq!(count_for_chat(db, "messages", other.id).await, 1);
    assert!(!db.delete_chat(chat.id).await.unwrap(), "already gone");
}
