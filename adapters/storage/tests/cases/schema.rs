//! Migrations and liveness.

use sybil_domain::Role;
use sybil_ports::outbound::ChatRepository;
use sybil_storage::SeaOrmStorage;

use crate::support::{chat_at, message};

pub async fn migrations_are_idempotent(s: &SeaOrmStorage) {
    let chat = chat_at(7);
    s.create_chat(&chat, &[message(Role::User, "kept", 7)])
        .await
        .unwrap();
    s.migrate().await.expect("second run");
    s.migrate().await.expect("third run");
    let loaded = s.load_chat(chat.id).await.unwrap().expect("data survives");
    assert_eq!(loaded.messages.len(), 1);
}

pub async fn ping_answers(s: &SeaOrmStorage) {
    s.ping().await.expect("ping");
}
