//! The attachment policy: one pure function that every route taking messages
//! calls, so chat creation, direct messages and completions agree on the rules.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::Role;

/// At most this many attachments on one message.
pub const MAX_ATTACHMENTS: usize = 8;
/// Largest decoded image payload (6 MiB).
pub const MAX_IMAGE_BYTES: usize = 6 * 1024 * 1024;
/// Largest declared source size of a text attachment (8 MiB).
pub const MAX_TEXT_SOURCE_BYTES: i64 = 8 * 1024 * 1024;
/// Most Unicode scalar values of inlined text per attachment.
pub const MAX_TEXT_CHARS: usize = 200_000;

const PNG_SIGNATURE: &[u8] = &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
const JPEG_SIGNATURE: &[u8] = &[0xFF, 0xD8, 0xFF];

/// An attachment as a client sent it: every field optional, so that the policy,
/// not a parser, writes the message that names what is wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttachmentInput {
    pub kind: Option<String>,
    pub id: Option<String>,
    pub filename: Option<String>,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub data_url: Option<String>,
    pub text: Option<String>,
    pub truncated: Option<bool>,
}

/// A validated attachment, serialised exactly as stored in `metadata.attachments`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Attachment {
    #[serde(rename_all = "camelCase")]
    Image {
        id: String,
        filename: String,
        mime_type: String,
        size_bytes: i64,
        data_url: String,
    },
    #[serde(rename_all = "camelCase")]
    Text {
        id: String,
        filename: String,
        mime_type: String,
        size_bytes: i64,
        text: String,
        truncated: bool,
    },
}

/// Why an attachment list was refused. `Display` is the client-facing message:
/// it names the attachment (index and filename) and the rule with its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("{path}: at most {MAX_ATTACHMENTS} attachments per message (got {count})")]
    TooMany { path: String, count: usize },
    #[error("{path}: tool messages cannot have attachments")]
    OnToolMessage { path: String },
    #[error("{path}[{index}]: filename is required and must not be empty")]
    MissingFilename { path: String, index: usize },
    #[error("{path}[{index}] ({filename}): {rule}")]
    Rule {
        path: String,
        index: usize,
        filename: String,
        rule: String,
    },
}

/// Checks `inputs` (the attachments of one message found at `path`, e.g.
/// `messages[0].attachments`) against the policy and returns them normalised,
/// with missing ids filled from `new_id` and missing sizes computed.
pub fn validate_attachments(
    path: &str,
    role: Role,
    inputs: &[AttachmentInput],
    new_id: &mut dyn FnMut() -> String,
) -> Result<Vec<Attachment>, AttachmentError> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    if role == Role::Tool {
        return Err(AttachmentError::OnToolMessage { path: path.into() });
    }
    if inputs.len() > MAX_ATTACHMENTS {
        return Err(AttachmentError::TooMany {
            path: path.into(),
            count: inputs.len(),
        });
    }
    inputs
        .iter()
        .enumerate()
        .map(|(index, input)| validate_one(path, index, input, new_id))
        .collect()
}

fn validate_one(
    path: &str,
    index: usize,
    input: &AttachmentInput,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Attachment, AttachmentError> {
    let filename = match input.filename.as_deref() {
        Some(f) if !f.trim().is_empty() => f.to_string(),
        _ => {
            return Err(AttachmentError::MissingFilename {
                path: path.into(),
                index,
            });
        }
    };
    let fail = |rule: String| AttachmentError::Rule {
        path: path.into(),
        index,
        filename: filename.clone(),
        rule,
    };
    if let Some(size) = input.size_bytes
        && size < 0
    {
        return Err(fail("sizeBytes must not be negative".into()));
    }
    let id = match input.id.as_deref() {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => new_id(),
    };
    match input.kind.as_deref() {
        Some("image") => {
            let (mime_type, decoded_len) = check_image(input).map_err(fail)?;
            Ok(Attachment::Image {
                id,
                filename,
                mime_type,
                size_bytes: input.size_bytes.unwrap_or(decoded_len as i64),
                data_url: input.data_url.clone().unwrap_or_default(),
            })
        }
        Some("text") => {
            let text = check_text(input).map_err(fail)?;
            Ok(Attachment::Text {
                id,
                filename,
                mime_type: input
                    .mime_type
                    .clone()
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| "text/plain".into()),
                size_bytes: input.size_bytes.unwrap_or(text.len() as i64),
                text,
                truncated: input.truncated.unwrap_or(false),
            })
        }
        _ => Err(fail(r#"kind must be "image" or "text""#.into())),
    }
}

/// Returns the MIME type and the decoded size of a valid image attachment.
fn check_image(input: &AttachmentInput) -> Result<(String, usize), String> {
    let mime = input.mime_type.as_deref().unwrap_or_default();
    let signature = match mime {
        "image/png" => PNG_SIGNATURE,
        "image/jpeg" => JPEG_SIGNATURE,
        _ => return Err("mimeType must be image/png or image/jpeg".into()),
    };
    let data_url = input
        .data_url
        .as_deref()
        .ok_or_else(|| "dataUrl is required for an image".to_string())?;
    let prefix = format!("data:{mime};base64,");
    let payload = data_url
        .strip_prefix(&prefix)
        .ok_or_else(|| format!("dataUrl must start with {prefix} to match mimeType"))?;
    // Refuse oversized payloads before spending time and memory decoding them.
    let padding = payload.bytes().rev().take(2).filter(|b| *b == b'=').count();
    let declared = (payload.len() / 4 * 3).saturating_sub(padding);
    if declared > MAX_IMAGE_BYTES {
        return Err(too_big_image(declared));
    }
    let bytes = STANDARD
        .decode(payload)
        .map_err(|_| "dataUrl payload is not valid base64".to_string())?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_big_image(bytes.len()));
    }
    if !bytes.starts_with(signature) {
        return Err(format!(
            "image data is not a valid {mime} file (bad signature)"
        ));
    }
    Ok((mime.to_string(), bytes.len()))
}

fn too_big_image(len: usize) -> String {
    format!("image is {len} bytes; at most {MAX_IMAGE_BYTES} bytes allowed")
}

fn check_text(input: &AttachmentInput) -> Result<String, String> {
    let text = input
        .text
        .as_deref()
        .ok_or_else(|| "text is required for a text attachment".to_string())?;
    if let Some(size) = input.size_bytes
        && size > MAX_TEXT_SOURCE_BYTES
    {
        return Err(format!(
            "sizeBytes is {size}; at most {MAX_TEXT_SOURCE_BYTES} bytes allowed"
        ));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!(
            "text is {chars} characters; at most {MAX_TEXT_CHARS} characters allowed"
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests;
