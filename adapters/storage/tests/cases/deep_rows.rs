//! Rows stored before request bodies had a nesting limit read back whole.

use serde_json::{Value, json};
use sybil_domain::{Role, Timestamp};
use sybil_ports::outbound::ChatRepository;
use sybil_storage::SeaOrmStorage;

use crate::support::{chat_at, message};

/// The deepest `metadata` an earlier version accepted: the body parser's
/// limit (127 levels) less the body object itself.
const OLDEST_LIMIT: usize = 126;

fn nested(depth: usize) -> Value {
    (1..depth).fold(json!({}), |inner, _| json!({ "a": inner }))
}

pub async fn metadata_as_deep_as_an_old_version_stored_reads_back(s: &SeaOrmStorage) {
    let chat = chat_at(1_000);
    let mut deep = message(Role::User, "deep", 1_000);
    deep.metadata = Some(nested(OLDEST_LIMIT));
    // The adapter stores what it is given: validation is the edge's, so
    // this is the row an old version would have left.
    s.create_chat(&chat, std::slice::from_ref(&deep))
        .await
        .unwrap();
    let mut deeper = message(Role::Assistant, "deeper", 2_000);
    deeper.metadata = Some(json!([nested(OLDEST_LIMIT - 1)]));
    assert!(
        s.append_messages(
            chat.id,
            std::slice::from_ref(&deeper),
            None,
            Timestamp(2_000)
        )
        .await
        .unwrap()
    );

    let loaded = s.load_chat(chat.id).await.unwrap().unwrap();
    assert_eq!(loaded.messages, vec![deep, deeper]);
}
