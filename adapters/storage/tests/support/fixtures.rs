//! Sample chats and messages with every field set to something checkable.

use serde_json::{Value, json};
use sybil_domain::{Chat, Message, ModelChoice, Provider, Role, Timestamp};
use uuid::Uuid;

pub fn chat_at(updated_at: i64) -> Chat {
    Chat {
        id: Uuid::now_v7(),
        title: Some(format!("chat {updated_at}")),
        created_at: Timestamp(updated_at - 10),
        updated_at: Timestamp(updated_at),
        initiated: Some(ModelChoice {
            provider: Provider::Anthropic,
            model: "claude-sonnet-4".into(),
        }),
        last_used: Some(ModelChoice {
            provider: Provider::Xai,
            model: "grok-3-mini".into(),
        }),
    }
}

pub fn bare_chat(at: i64) -> Chat {
    Chat::new(Uuid::now_v7(), None, None, Timestamp(at))
}

pub fn message(role: Role, content: &str, at: i64) -> Message {
    Message {
        id: Uuid::now_v7(),
        created_at: Timestamp(at),
        role,
        content: content.into(),
        name: None,
        metadata: None,
    }
}

pub fn tool_message(at: i64) -> Message {
    Message {
        name: Some("web_search".into()),
        metadata: Some(rich_metadata()),
        ..message(Role::Tool, "3 results\n[truncated: 12 more characters]", at)
    }
}

/// Nesting, arrays, every JSON scalar, non-ASCII text and large integers.
pub fn rich_metadata() -> Value {
    json!({
        "kind": "tool_call",
        "toolCallId": "call_1",
        "toolName": "web_search",
        "arguments": { "query": "zürich café ☕", "limit": 5 },
        "status": "completed",
        "error": null,
        "durationMs": 1234,
        "round": 1,
        "ratio": 0.25,
        "big": 9_007_199_254_740_993_i64,
        "flags": [true, false, null, "x", 1.5, { "deep": [] }],
    })
}
