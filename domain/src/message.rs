//! Messages of a chat transcript and the rules for accepting one from a client.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::attachment::{Attachment, AttachmentError, AttachmentInput, validate_attachments};
use crate::{Role, Timestamp};

/// A stored transcript message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub role: Role,
    pub content: String,
    pub name: Option<String>,
    /// Free-form JSON object; `None` for a plain message.
    pub metadata: Option<Value>,
}

/// A message as a client sent it, before the policy has looked at it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageInput {
    pub role: String,
    pub content: String,
    pub name: Option<String>,
    pub metadata: Option<Value>,
    pub attachments: Vec<AttachmentInput>,
}

/// A message that passed the policy, ready to be given an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidMessage {
    pub role: Role,
    pub content: String,
    pub name: Option<String>,
    /// The client's metadata with `attachments` merged in.
    pub metadata: Option<Value>,
    /// The validated attachments (also inside `metadata`), for forwarding.
    pub attachments: Vec<Attachment>,
}

impl ValidMessage {
    /// The message to store (attachments live in `metadata`).
    pub fn into_message(self, id: Uuid, created_at: Timestamp) -> Message {
        Message {
            id,
            created_at,
            role: self.role,
            content: self.content,
            name: self.name,
            metadata: self.metadata,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("{field} must be one of system, user, assistant, tool")]
    UnknownRole { field: String },
    #[error("{field} must be a JSON object or null")]
    MetadataNotObject { field: String },
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
}

/// Validates one client message found at `path` (`messages[3]`, or `""` for a
/// message that is the whole body) and merges its attachments into
/// `metadata.attachments`.
pub fn validate_message(
    path: &str,
    input: &MessageInput,
    new_attachment_id: &mut dyn FnMut() -> String,
) -> Result<ValidMessage, MessageError> {
    let role: Role = input.role.parse().map_err(|_| MessageError::UnknownRole {
        field: field(path, "role"),
    })?;
    let mut metadata = match &input.metadata {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => {
            return Err(MessageError::MetadataNotObject {
                field: field(path, "metadata"),
            });
        }
    };
    // The field's name is only built when there is something to check (a
    // format per message otherwise).
    let attachments = if input.attachments.is_empty() {
        Vec::new()
    } else {
        validate_attachments(
            &field(path, "attachments"),
            role,
            &input.attachments,
            new_attachment_id,
        )?
    };
    if !attachments.is_empty() {
        let list = serde_json::to_value(&attachments).unwrap_or(Value::Array(Vec::new()));
        metadata
            .get_or_insert_with(Map::new)
            .insert("attachments".into(), list);
    }
    Ok(ValidMessage {
        role,
        content: input.content.clone(),
        name: input.name.clone(),
        metadata: metadata.map(Value::Object),
        attachments,
    })
}

/// The name of `name` inside the object at `path`.
fn field(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> impl FnMut() -> String {
        || "att-1".to_string()
    }

    fn input(role: &str) -> MessageInput {
        MessageInput {
            role: role.into(),
            content: "hello".into(),
            ..Default::default()
        }
    }

    fn text_attachment() -> AttachmentInput {
        AttachmentInput {
            kind: Some("text".into()),
            filename: Some("a.txt".into()),
            text: Some("body".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_message_keeps_null_metadata() {
        let m = validate_message("", &input("user"), &mut ids()).unwrap();
        assert_eq!(m.role, Role::User);
        assert_eq!(m.metadata, None);
    }

    #[test]
    fn unknown_roles_name_the_field() {
        let err = validate_message("messages[2]", &input("developer"), &mut ids()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "messages[2].role must be one of system, user, assistant, tool"
        );
    }

    #[test]
    fn metadata_must_be_an_object() {
        let mut m = input("user");
        m.metadata = Some(json!([1, 2]));
        let err = validate_message("", &m, &mut ids()).unwrap_err();
        assert_eq!(err.to_string(), "metadata must be a JSON object or null");
        m.metadata = Some(Value::Null);
        assert_eq!(validate_message("", &m, &mut ids()).unwrap().metadata, None);
    }

    #[test]
    fn attachments_are_merged_into_existing_metadata() {
        let mut m = input("user");
        m.metadata = Some(json!({ "client": "web", "attachments": "overwritten" }));
        m.attachments = vec![text_attachment()];
        let v = validate_message("", &m, &mut ids()).unwrap();
        let meta = v.metadata.unwrap();
        assert_eq!(meta["client"], "web");
        assert_eq!(meta["attachments"][0]["id"], "att-1");
        assert_eq!(meta["attachments"][0]["kind"], "text");
    }

    #[test]
    fn attachment_errors_carry_the_message_path() {
        let mut m = input("tool");
        m.attachments = vec![text_attachment()];
        let err = validate_message("messages[1]", &m, &mut ids()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "messages[1].attachments: tool messages cannot have attachments"
        );
    }
}
