//! The inline attachment of a request message. It is parsed as one flat
//! object, so that the domain policy (not a parser) names what is wrong with
//! it; the spec describes it as what the policy accepts: an image or a text
//! attachment, told apart by `kind`.

use std::borrow::Cow;

use poem_openapi::registry::{MetaDiscriminatorObject, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sybil_domain::AttachmentInput;

/// An inline attachment as a client sends it; see `AttachmentInput` in the spec.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentRequest {
    pub kind: String,
    pub id: Option<String>,
    pub filename: Option<String>,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub data_url: Option<String>,
    pub text: Option<String>,
    pub truncated: Option<bool>,
}

/// `remote = "Self"` turns the derived `serialize` into an inherent fn too.
impl Serialize for AttachmentRequest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        AttachmentRequest::serialize(self, serializer)
    }
}

impl From<AttachmentRequest> for AttachmentInput {
    fn from(a: AttachmentRequest) -> Self {
        AttachmentInput {
            kind: Some(a.kind),
            id: a.id,
            filename: a.filename,
            mime_type: a.mime_type,
            size_bytes: a.size_bytes,
            data_url: a.data_url,
            text: a.text,
            truncated: a.truncated,
        }
    }
}

const SCHEMA_NAME: &str = "AttachmentInput";

impl Type for AttachmentRequest {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        SCHEMA_NAME.into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(SCHEMA_NAME.into())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(SCHEMA_NAME.into(), |registry| {
            ImageAttachment::register(registry);
            TextAttachment::register(registry);
            let variants = [
                ("image", ImageAttachment::name()),
                ("text", TextAttachment::name()),
            ];
            MetaSchema {
                description: Some(
                    "An inline attachment: an image or a text, told apart by `kind`. \
                     At most 8 per message; none on `tool` messages.",
                ),
                one_of: variants
                    .iter()
                    .map(|(_, name)| MetaSchemaRef::Reference(name.to_string()))
                    .collect(),
                discriminator: Some(MetaDiscriminatorObject {
                    property_name: "kind",
                    mapping: variants
                        .iter()
                        .map(|(kind, name)| {
                            (kind.to_string(), format!("#/components/schemas/{name}"))
                        })
                        .collect(),
                }),
                ..MetaSchema::new("object")
            }
        });
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
impl ParseFromJSON for AttachmentRequest {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        serde_json::from_value(value.unwrap_or_default()).map_err(ParseError::custom)
    }
}

impl ToJSON for AttachmentRequest {
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

/// `image`.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "ImageAttachmentKind", rename_all = "lowercase")]
enum ImageKind {
    Image,
}

/// `text`.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "TextAttachmentKind", rename_all = "lowercase")]
enum TextKind {
    Text,
}

/// The type of an image attachment.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "ImageMimeType")]
enum ImageMimeType {
    #[oai(rename = "image/png")]
    Png,
    #[oai(rename = "image/jpeg")]
    Jpeg,
}

/// An image: a PNG or JPEG file, at most 6 MiB (6,291,456 bytes) decoded,
/// inlined as a base64 `data:` URL.
#[derive(Debug, Clone, Object)]
#[oai(
    rename = "ImageAttachmentInput",
    rename_all = "camelCase",
    deny_unknown_fields
)]
struct ImageAttachment {
    kind: ImageKind,
    /// Optional; the server assigns one when absent or empty.
    id: Option<String>,
    /// Required; not blank.
    #[oai(validator(pattern = r"\S"))]
    filename: String,
    mime_type: ImageMimeType,
    /// Size in bytes; the decoded size when absent.
    #[oai(validator(minimum(value = "0")))]
    size_bytes: Option<i64>,
    /// `data:<mimeType>;base64,<payload>`, with the MIME type of `mimeType`;
    /// the payload is standard padded base64 of a file that starts with its
    /// format's signature (PNG `89 50 4E 47 0D 0A 1A 0A`, JPEG `FF D8 FF`).
    // The pattern spells that out: a PNG payload opens with the base64 of the
    // 8-byte signature, a JPEG one with `/9j/`; the rest is whole 4-character
    // groups and a canonical padded end. The longest value is the JPEG prefix
    // (23 characters) and the base64 of 6 MiB (8,388,608 characters).
    #[oai(validator(
        pattern = r"^data:image/(?:png;base64,iVBORw0KGg(?:o=|[o-r][A-Za-z0-9+/](?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?)|jpeg;base64,/9j/(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?)$",
        max_length = 8388631
    ))]
    data_url: String,
}

/// A text file inlined as text: at most 200,000 characters, from a source of
/// at most 8 MiB (8,388,608 bytes).
#[derive(Debug, Clone, Object)]
#[oai(
    rename = "TextAttachmentInput",
    rename_all = "camelCase",
    deny_unknown_fields
)]
struct TextAttachment {
    kind: TextKind,
    /// Optional; the server assigns one when absent or empty.
    id: Option<String>,
    /// Required; not blank.
    #[oai(validator(pattern = r"\S"))]
    filename: String,
    /// Any text type; `text/plain` when absent or blank.
    mime_type: Option<String>,
    /// Size of the source in bytes; the text's UTF-8 length when absent.
    #[oai(validator(minimum(value = "0"), maximum(value = "8388608")))]
    size_bytes: Option<i64>,
    /// The inlined text, at most 200,000 characters (Unicode scalar values);
    /// cut a longer source on the client and set `truncated`.
    #[oai(validator(max_length = 200000))]
    text: String,
    /// Whether the client cut the text (default false).
    truncated: Option<bool>,
}

super::object_only::object_only!(AttachmentRequest);
