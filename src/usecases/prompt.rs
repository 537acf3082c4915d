//! How a client's transcript becomes the prompt a provider receives.

use sybil_domain::Role;
use sybil_domain::message::ValidMessage;
use sybil_ports::outbound::{PromptMessage, PromptRole};

/// Maps validated request messages to prompt messages, in order. A `tool`
/// message carries no call id a provider could pair, so it is sent as user
/// text; attachments are forwarded on `user` messages only.
pub fn to_prompt(messages: &[ValidMessage]) -> Vec<PromptMessage> {
    messages
        .iter()
        .map(|m| match m.role {
            Role::System => plain(PromptRole::System, m.content.clone()),
            Role::Assistant => plain(PromptRole::Assistant, m.content.clone()),
            Role::Tool => {
                let source = m
                    .name
                    .as_deref()
                    .map(|n| format!(" from {n}"))
                    .unwrap_or_default();
                plain(
                    PromptRole::User,
                    format!("Tool output{source}:\n{}", m.content),
                )
            }
            Role::User => PromptMessage {
                role: PromptRole::User,
                content: m.content.clone(),
                attachments: m.attachments.clone(),
            },
        })
        .collect()
}

fn plain(role: PromptRole, content: String) -> PromptMessage {
    PromptMessage {
        role,
        content,
        attachments: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use sybil_domain::Attachment;

    use super::*;

    fn valid(role: Role, content: &str, name: Option<&str>) -> ValidMessage {
        ValidMessage {
            role,
            content: content.into(),
            name: name.map(String::from),
            metadata: None,
            attachments: vec![Attachment::Text {
                id: "a".into(),
                filename: "f.txt".into(),
                mime_type: "text/plain".into(),
                size_bytes: 1,
                text: "x".into(),
                truncated: false,
            }],
        }
    }

    #[test]
    fn tool_messages_become_user_text_and_only_users_keep_attachments() {
        let prompt = to_prompt(&[
            valid(Role::System, "sys", None),
            valid(Role::User, "hi", None),
            valid(Role::Assistant, "hello", None),
            valid(Role::Tool, "42", Some("calc")),
        ]);
        let roles: Vec<_> = prompt.iter().map(|p| p.role).collect();
        assert_eq!(
            roles,
            [
                PromptRole::System,
                PromptRole::User,
                PromptRole::Assistant,
                PromptRole::User
            ]
        );
        let with_attachments: Vec<_> = prompt.iter().map(|p| p.attachments.len()).collect();
        assert_eq!(with_attachments, [0, 1, 0, 0]);
        assert_eq!(prompt[3].content, "Tool output from calc:\n42");
    }
}
