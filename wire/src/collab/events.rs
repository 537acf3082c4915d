//! The conversation stream's events (§6.2) as the stream sends them:
//! `{"type": <name>, "payload": {…}}`, recorded in this form when the change
//! they describe is committed.

use serde::Serialize;
use sybil_ports::outbound::{ConversationEvent, FinishReason, MembershipAction, MessageAction};
use uuid::Uuid;

use super::names::{ConversationRoleName, PresenceStatusName};
use super::views::{MessageView, ThreadSummaryView};
use crate::time::iso;

#[derive(Serialize)]
struct Frame<'a, P: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    payload: P,
}

#[derive(Serialize)]
struct DeltaChoice<'a> {
    index: u32,
    delta: Delta<'a>,
}

#[derive(Serialize)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    content: &'a str,
}

#[derive(Serialize)]
struct DoneUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::Cancelled => "cancelled",
        FinishReason::Error => "error",
    }
}

fn membership_action(action: MembershipAction) -> &'static str {
    match action {
        MembershipAction::Added => "added",
        MembershipAction::RoleUpdated => "role_updated",
        MembershipAction::Removed => "removed",
    }
}

fn message_action(action: MessageAction) -> &'static str {
    match action {
        MessageAction::Edited => "edited",
        MessageAction::Deleted => "deleted",
        MessageAction::Restored => "restored",
    }
}

fn frame<P: Serialize>(kind: &'static str, payload: P) -> (&'static str, String) {
    let text = serde_json::to_string(&Frame { kind, payload })
        .expect("event payloads are plain data and always serialise");
    (kind, text)
}

/// The event's name and its `data:` text, for an event of `conversation`.
pub fn event_json(conversation: Uuid, event: &ConversationEvent) -> (&'static str, String) {
    let conversation_id = conversation.to_string();
    match event {
        ConversationEvent::ThreadNew { summary } => {
            #[derive(Serialize)]
            struct P {
                conversation_id: String,
                root_id: String,
                summary: ThreadSummaryView,
            }
            frame(
                "thread.new",
                P {
                    conversation_id,
                    root_id: summary.root_id.to_string(),
                    summary: summary.into(),
                },
            )
        }
        ConversationEvent::ThreadActivity {
            root_id,
            last_activity_at,
        } => {
            #[derive(Serialize)]
            struct P {
                root_id: String,
                last_activity_at: String,
            }
            frame(
                "thread.activity",
                P {
                    root_id: root_id.to_string(),
                    last_activity_at: iso(*last_activity_at),
                },
            )
        }
        ConversationEvent::MessageDelta {
            message_id,
            root_id,
            parent_id,
            depth,
            idx,
            content,
        } => {
            #[derive(Serialize)]
            struct P<'a> {
                id: String,
                object: &'static str,
                root_id: String,
                message_id: String,
                conversation_id: String,
                parent_id: String,
                depth: u32,
                choices: [DeltaChoice<'a>; 1],
            }
            frame(
                "message.delta",
                P {
                    id: format!("{message_id}:{idx}"),
                    object: "chat.completion.chunk",
                    root_id: root_id.to_string(),
                    message_id: message_id.to_string(),
                    conversation_id,
                    parent_id: parent_id.to_string(),
                    depth: *depth,
                    choices: [DeltaChoice {
                        index: 0,
                        delta: Delta {
                            role: (*idx == 0).then_some("assistant"),
                            content,
                        },
                    }],
                },
            )
        }
        ConversationEvent::MessageDone {
            message_id,
            root_id,
            finish_reason: reason,
            usage,
        } => {
            #[derive(Serialize)]
            struct P {
                message_id: String,
                root_id: String,
                conversation_id: String,
                finish_reason: &'static str,
                #[serde(skip_serializing_if = "Option::is_none")]
                usage: Option<DoneUsage>,
            }
            frame(
                "message.done",
                P {
                    message_id: message_id.to_string(),
                    root_id: root_id.to_string(),
                    conversation_id,
                    finish_reason: finish_reason(*reason),
                    usage: usage.map(|u| DoneUsage {
                        prompt_tokens: u.input_tokens,
                        completion_tokens: u.output_tokens,
                        total_tokens: u.total_tokens,
                    }),
                },
            )
        }
        ConversationEvent::MessageUpdated { action, message } => {
            #[derive(Serialize)]
            struct P {
                conversation_id: String,
                root_id: String,
                message_id: String,
                action: &'static str,
                message: MessageView,
            }
            frame(
                "message.updated",
                P {
                    conversation_id,
                    root_id: message.root_id.to_string(),
                    message_id: message.id.to_string(),
                    action: message_action(*action),
                    message: message.into(),
                },
            )
        }
        ConversationEvent::PresenceUpdate {
            user_id,
            status,
            last_seen_at,
        } => {
            #[derive(Serialize)]
            struct P {
                user_id: String,
                status: PresenceStatusName,
                last_seen_at: Option<String>,
            }
            frame(
                "presence.update",
                P {
                    user_id: user_id.to_string(),
                    status: (*status).into(),
                    last_seen_at: last_seen_at.map(iso),
                },
            )
        }
        ConversationEvent::TypingUpdate {
            root_id,
            user_id,
            expires_at,
        } => {
            #[derive(Serialize)]
            struct P {
                conversation_id: String,
                root_id: String,
                user_id: String,
                expires_at: String,
            }
            frame(
                "typing.update",
                P {
                    conversation_id,
                    root_id: root_id.to_string(),
                    user_id: user_id.to_string(),
                    expires_at: iso(*expires_at),
                },
            )
        }
        ConversationEvent::UnreadUpdate {
            root_id, unread, ..
        } => {
            #[derive(Serialize)]
            struct P {
                root_id: String,
                unread: u64,
            }
            frame(
                "unread.update",
                P {
                    root_id: root_id.to_string(),
                    unread: *unread,
                },
            )
        }
        ConversationEvent::MembershipChanged {
            user_id,
            role,
            action,
        } => {
            #[derive(Serialize)]
            struct P {
                conversation_id: String,
                user_id: String,
                role: ConversationRoleName,
                action: &'static str,
            }
            frame(
                "membership.changed",
                P {
                    conversation_id,
                    user_id: user_id.to_string(),
                    role: (*role).into(),
                    action: membership_action(*action),
                },
            )
        }
        ConversationEvent::Error {
            code,
            message,
            message_id,
        } => {
            #[derive(Serialize)]
            struct P<'a> {
                code: &'a str,
                message: &'a str,
                #[serde(skip_serializing_if = "Option::is_none")]
                message_id: Option<String>,
            }
            frame(
                "error",
                P {
                    code,
                    message,
                    message_id: message_id.map(|m| m.to_string()),
                },
            )
        }
    }
}

/// A recorded event's `data` with the text of its (since deleted) message
/// blanked: a delta's content, a new thread's excerpt, an update's content.
pub fn blank_text(kind: &str, data: &str) -> String {
    let Ok(mut frame) = serde_json::from_str::<serde_json::Value>(data) else {
        return data.to_string();
    };
    let payload = &mut frame["payload"];
    let field = match kind {
        "message.delta" => payload
            .get_mut("choices")
            .and_then(|c| c.get_mut(0))
            .and_then(|c| c.get_mut("delta"))
            .and_then(|d| d.get_mut("content")),
        "thread.new" => payload
            .get_mut("summary")
            .and_then(|s| s.get_mut("root_excerpt")),
        "message.updated" => payload
            .get_mut("message")
            .and_then(|m| m.get_mut("content")),
        _ => None,
    };
    match field {
        Some(text) => {
            *text = serde_json::Value::String(String::new());
            frame.to_string()
        }
        None => data.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use sybil_domain::Timestamp;
    use sybil_domain::conversation::PresenceStatus;

    use super::*;

    fn parsed(event: &ConversationEvent) -> (&'static str, Value) {
        let (name, text) = event_json(Uuid::nil(), event);
        (name, serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn deltas_are_completion_chunks_with_the_role_on_the_first() {
        let id = Uuid::from_u128(7);
        let first = ConversationEvent::MessageDelta {
            message_id: id,
            root_id: id,
            parent_id: id,
            depth: 2,
            idx: 0,
            content: "Hel".into(),
        };
        let (name, body) = parsed(&first);
        assert_eq!(name, "message.delta");
        assert_eq!(body["type"], "message.delta");
        assert_eq!(body["payload"]["id"], format!("{id}:0"));
        assert_eq!(body["payload"]["object"], "chat.completion.chunk");
        assert_eq!(
            body["payload"]["choices"],
            json!([{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}])
        );
        let later = ConversationEvent::MessageDelta {
            idx: 1,
            content: "lo".into(),
            message_id: id,
            root_id: id,
            parent_id: id,
            depth: 2,
        };
        assert_eq!(
            parsed(&later).1["payload"]["choices"][0]["delta"],
            json!({"content": "lo"})
        );
    }

    #[test]
    fn deleted_text_is_blanked_and_the_rest_kept() {
        let id = Uuid::from_u128(3);
        let delta = ConversationEvent::MessageDelta {
            message_id: id,
            root_id: id,
            parent_id: id,
            depth: 2,
            idx: 0,
            content: "secret".into(),
        };
        let (kind, data) = event_json(Uuid::nil(), &delta);
        let blank: Value = serde_json::from_str(&blank_text(kind, &data)).unwrap();
        assert_eq!(blank["payload"]["choices"][0]["delta"]["content"], "");
        assert_eq!(blank["payload"]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(blank["payload"]["message_id"], id.to_string());
        let (kind, data) = event_json(
            Uuid::nil(),
            &ConversationEvent::ThreadActivity {
                root_id: id,
                last_activity_at: Timestamp(1),
            },
        );
        assert_eq!(blank_text(kind, &data), data, "no text: unchanged");
    }

    #[test]
    fn a_user_never_seen_has_a_null_last_seen() {
        let (_, body) = parsed(&ConversationEvent::PresenceUpdate {
            user_id: Uuid::nil(),
            status: PresenceStatus::Offline,
            last_seen_at: None,
        });
        assert_eq!(
            body["payload"],
            json!({"user_id": Uuid::nil().to_string(), "status": "offline", "last_seen_at": null})
        );
        let (_, seen) = parsed(&ConversationEvent::PresenceUpdate {
            user_id: Uuid::nil(),
            status: PresenceStatus::Online,
            last_seen_at: Some(Timestamp(7)),
        });
        assert_eq!(seen["payload"]["last_seen_at"], "1970-01-01T00:00:00.007Z");
    }

    #[test]
    fn done_usage_uses_openai_names_and_errors_name_their_message() {
        let (_, done) = parsed(&ConversationEvent::MessageDone {
            message_id: Uuid::nil(),
            root_id: Uuid::nil(),
            finish_reason: FinishReason::Cancelled,
            usage: Some(sybil_domain::Usage {
                input_tokens: 3,
                output_tokens: 4,
                total_tokens: 7,
            }),
        });
        assert_eq!(done["payload"]["finish_reason"], "cancelled");
        assert_eq!(
            done["payload"]["usage"],
            json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})
        );
        let (name, error) = parsed(&ConversationEvent::Error {
            code: "no_model".into(),
            message: "m".into(),
            message_id: Some(Uuid::nil()),
        });
        assert_eq!(name, "error");
        assert_eq!(error["payload"]["message_id"], Uuid::nil().to_string());
    }
}
