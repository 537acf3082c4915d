//! Request bodies. Each derives poem-openapi's `Object` for the spec and
//! serde's `Deserialize` for parsing (see `body::JsonBody`); both use the same
//! camelCase names, and unknown fields are refused. Fields that serde takes
//! more loosely than the spec describes them (an attachment, `metadata`)
//! write their schema by hand, so that the policies name what is wrong.

use std::borrow::Cow;

use poem_openapi::Object;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde::Deserialize;
use serde_json::Value;
use sybil_domain::MessageInput;

pub use sybil_wire::{ProviderName, RoleName, provider_name};

pub use super::attachments::AttachmentRequest;

/// The use-case form of a message, whichever route it came by.
pub fn message_input(
    role: RoleName,
    content: String,
    name: Option<String>,
    metadata: Option<Value>,
    attachments: Option<Vec<AttachmentRequest>>,
) -> MessageInput {
    MessageInput {
        role: role.as_str().into(),
        content,
        name,
        metadata,
        attachments: attachments
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
    }
}

/// A message of a new chat's initial transcript.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "InitialMessage",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct InitialMessageRequest {
    pub role: RoleName,
    pub content: String,
    pub name: Option<String>,
    /// At most 8; none on `tool` messages.
    #[oai(validator(max_items = 8))]
    pub attachments: Option<Vec<AttachmentRequest>>,
}

impl From<InitialMessageRequest> for MessageInput {
    fn from(m: InitialMessageRequest) -> Self {
        message_input(m.role, m.content, m.name, None, m.attachments)
    }
}

/// `POST /v1/chats`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "CreateChatRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateChatRequest {
    /// Optional; an empty title counts as none.
    pub title: Option<String>,
    /// Supplied together with `model`, or not at all.
    pub provider: Option<ProviderName>,
    /// Supplied together with `provider`, or not at all; not blank.
    #[oai(validator(pattern = r"\S"))]
    pub model: Option<String>,
    /// The initial transcript, stored in order.
    pub messages: Option<Vec<InitialMessageRequest>>,
}

/// `PATCH /v1/chats/{chatId}`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "RenameChatRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameChatRequest {
    /// The new title; an empty title clears it.
    pub title: String,
}

/// `POST /v1/chats/{chatId}/messages`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "NewMessageRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMessageRequest {
    pub role: RoleName,
    pub content: String,
    pub name: Option<String>,
    /// A JSON object; attachments are merged into it as `attachments`.
    pub metadata: Option<JsonObject>,
    /// At most 8; none on `tool` messages.
    #[oai(validator(max_items = 8))]
    pub attachments: Option<Vec<AttachmentRequest>>,
}

impl From<NewMessageRequest> for MessageInput {
    fn from(m: NewMessageRequest) -> Self {
        let metadata = m.metadata.map(|o| o.0);
        message_input(m.role, m.content, m.name, metadata, m.attachments)
    }
}

/// A field documented as a JSON object. It is parsed as any JSON value, so
/// that the message policy, not the parser, refuses another kind of value
/// and names the field; like every free-form field, its depth is bounded.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct JsonObject(pub Value);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::free_json::bounded(deserializer).map(JsonObject)
    }
}

impl Type for JsonObject {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "object".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("object")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

/// Request bodies are parsed by serde (`body::JsonBody`); this serves poem's
/// own parser, should anything call it.
impl ParseFromJSON for JsonObject {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(JsonObject(value.ok_or_else(ParseError::expected_input)?))
    }
}

impl ToJSON for JsonObject {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

super::object_only::object_only!(
    InitialMessageRequest,
    CreateChatRequest,
    RenameChatRequest,
    NewMessageRequest
);
