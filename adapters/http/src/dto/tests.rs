//! The limits and patterns the spec documents are the ones the domain
//! policies enforce.

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::validation::{Pattern, Validator};
use sybil_domain::attachment::{
    MAX_ATTACHMENTS, MAX_IMAGE_BYTES, MAX_TEXT_CHARS, MAX_TEXT_SOURCE_BYTES, validate_attachments,
};
use sybil_domain::search::MAX_NUM_RESULTS;
use sybil_domain::{AttachmentInput, Role};

use super::attachments::AttachmentRequest;
use super::completions::CompletionRequest;
use super::requests::NewMessageRequest;
use super::searches::RunSearchRequest;

/// The registered schemas of `T` and everything it refers to.
fn schemas_of<T: Type>() -> Registry {
    let mut registry = Registry::new();
    T::register(&mut registry);
    registry
}

/// The inline schema of property `name` of component `schema`.
fn property(registry: &Registry, schema: &str, name: &str) -> MetaSchema {
    let object = &registry.schemas[schema];
    match object.properties.iter().find(|(n, _)| *n == name) {
        Some((_, MetaSchemaRef::Inline(meta))) => (**meta).clone(),
        other => panic!("{schema}.{name} is not an inline schema: {other:?}"),
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether the image policy accepts `data_url` (with the MIME type it names).
fn policy_accepts(data_url: &str) -> bool {
    let mime = ["image/png", "image/jpeg"]
        .into_iter()
        .find(|m| data_url.starts_with(&format!("data:{m};")))
        .unwrap_or("image/png");
    let input = AttachmentInput {
        kind: Some("image".into()),
        filename: Some("a".into()),
        mime_type: Some(mime.into()),
        data_url: Some(data_url.into()),
        ..Default::default()
    };
    validate_attachments("attachments", Role::User, &[input], &mut || "id".into()).is_ok()
}

#[test]
fn the_data_url_pattern_accepts_what_the_image_policy_accepts() {
    let registry = schemas_of::<AttachmentRequest>();
    let data_url = property(&registry, "ImageAttachmentInput", "dataUrl");
    let pattern = Pattern::new(data_url.pattern.clone().unwrap().leak());
    let png: &[u8] = &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    let jpeg: &[u8] = &[0xFF, 0xD8, 0xFF];
    let mut urls = Vec::new();
    for (mime, signature) in [
        ("png", png),
        ("jpeg", jpeg),
        ("png", jpeg),
        ("png", b"GIF89a"),
    ] {
        for extra in 0..7u8 {
            let mut bytes = signature.to_vec();
            bytes.extend((0..extra).map(|i| i.wrapping_mul(97)));
            let payload = base64(&bytes);
            urls.push(format!("data:image/{mime};base64,{payload}"));
            urls.push(format!(
                "data:image/{mime};base64,{}",
                payload.trim_end_matches('=')
            ));
            urls.push(format!("data:image/{mime};base64,{payload} "));
        }
        // One byte past whole groups, its last character with stray bits.
        let mut bytes = signature.to_vec();
        bytes.resize(signature.len() + (4 - signature.len() % 3) % 3, 0);
        let payload = base64(&bytes);
        let cut = payload.len() - 3;
        urls.push(format!("data:image/{mime};base64,{}B==", &payload[..cut]));
    }
    urls.push("data:image/gif;base64,R0lGODlh".into());
    urls.push("data:image/png;base64,".into());
    urls.sort();
    urls.dedup();
    let mut accepted = 0;
    for url in &urls {
        let valid = pattern.check(url);
        assert_eq!(
            valid,
            policy_accepts(url),
            "the spec and the policy disagree on {url}"
        );
        accepted += usize::from(valid);
    }
    // Each valid signature with 0 to 6 more bytes, in canonical base64.
    assert_eq!(accepted, 14, "{urls:#?}");
}

#[test]
fn an_openai_image_url_is_held_to_the_attachment_data_url_rule() {
    let attachment = property(
        &schemas_of::<AttachmentRequest>(),
        "ImageAttachmentInput",
        "dataUrl",
    );
    let openai = property(
        &schemas_of::<super::openai_request::OpenAiImageUrl>(),
        "OpenAiImageUrl",
        "url",
    );
    assert_eq!(openai.pattern, attachment.pattern);
    assert_eq!(openai.max_length, attachment.max_length);
}

#[test]
fn attachment_limits_are_the_policy_limits() {
    let registry = schemas_of::<AttachmentRequest>();
    let data_url = property(&registry, "ImageAttachmentInput", "dataUrl");
    assert_eq!(MAX_IMAGE_BYTES % 3, 0);
    assert_eq!(
        data_url.max_length,
        Some("data:image/jpeg;base64,".len() + MAX_IMAGE_BYTES / 3 * 4)
    );
    let text = property(&registry, "TextAttachmentInput", "text");
    assert_eq!(text.max_length, Some(MAX_TEXT_CHARS));
    let size = property(&registry, "TextAttachmentInput", "sizeBytes");
    assert_eq!(size.maximum, Some(MAX_TEXT_SOURCE_BYTES as f64));

    let registry = schemas_of::<NewMessageRequest>();
    let attachments = property(&registry, "NewMessageRequest", "attachments");
    assert_eq!(attachments.max_items, Some(MAX_ATTACHMENTS));
}

#[test]
fn scalar_limits_are_the_policy_limits() {
    let registry = schemas_of::<RunSearchRequest>();
    let num_results = property(&registry, "RunSearchRequest", "numResults");
    assert_eq!(num_results.maximum, Some(f64::from(MAX_NUM_RESULTS)));
    let registry = schemas_of::<CompletionRequest>();
    let max_tokens = property(&registry, "ChatCompletionRequest", "maxTokens");
    assert_eq!(max_tokens.maximum, Some(f64::from(u32::MAX)));
}
