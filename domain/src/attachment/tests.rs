use super::*;

fn ids() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("gen-{n}")
    }
}

fn png_bytes(len: usize) -> Vec<u8> {
    let mut b = PNG_SIGNATURE.to_vec();
    b.resize(len.max(PNG_SIGNATURE.len()), 0);
    b
}

fn image(mime: &str, bytes: &[u8]) -> AttachmentInput {
    AttachmentInput {
        kind: Some("image".into()),
        filename: Some("photo.png".into()),
        mime_type: Some(mime.into()),
        data_url: Some(format!("data:{mime};base64,{}", STANDARD.encode(bytes))),
        ..Default::default()
    }
}

fn text(t: &str) -> AttachmentInput {
    AttachmentInput {
        kind: Some("text".into()),
        filename: Some("notes.md".into()),
        mime_type: Some("text/markdown".into()),
        text: Some(t.into()),
        ..Default::default()
    }
}

fn check(role: Role, inputs: &[AttachmentInput]) -> Result<Vec<Attachment>, AttachmentError> {
    validate_attachments("attachments", role, inputs, &mut ids())
}

fn rule_of(err: AttachmentError) -> String {
    match err {
        AttachmentError::Rule { rule, .. } => rule,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

#[test]
fn no_attachments_is_fine_on_any_role() {
    for role in Role::ALL {
        assert_eq!(check(role, &[]), Ok(vec![]));
    }
}

#[test]
fn exactly_eight_pass_and_nine_fail() {
    let eight = vec![text("a"); 8];
    assert_eq!(check(Role::User, &eight).unwrap().len(), 8);
    let nine = vec![text("a"); 9];
    let err = check(Role::User, &nine).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attachments: at most 8 attachments per message (got 9)"
    );
}

#[test]
fn tool_messages_cannot_carry_attachments() {
    let err = check(Role::Tool, &[text("a")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attachments: tool messages cannot have attachments"
    );
}

#[test]
fn attachments_are_allowed_on_every_other_role() {
    for role in [Role::System, Role::User, Role::Assistant] {
        assert!(check(role, &[text("a")]).is_ok(), "{role}");
    }
}

#[test]
fn a_valid_png_and_jpeg_are_accepted_and_sized() {
    let png = check(Role::User, &[image("image/png", &png_bytes(100))]).unwrap();
    match &png[0] {
        Attachment::Image {
            mime_type,
            size_bytes,
            id,
            ..
        } => {
            assert_eq!(mime_type, "image/png");
            assert_eq!(*size_bytes, 100);
            assert_eq!(id, "gen-1");
        }
        other => panic!("{other:?}"),
    }
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    assert!(check(Role::User, &[image("image/jpeg", &jpeg)]).is_ok());
}

#[test]
fn exactly_six_mebibytes_pass_and_one_byte_more_fails() {
    assert!(
        check(
            Role::User,
            &[image("image/png", &png_bytes(MAX_IMAGE_BYTES))]
        )
        .is_ok()
    );
    let err = check(
        Role::User,
        &[image("image/png", &png_bytes(MAX_IMAGE_BYTES + 1))],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "attachments[0] (photo.png): image is 6291457 bytes; at most 6291456 bytes allowed"
    );
}

#[test]
fn far_too_large_images_are_refused_before_decoding() {
    let mut input = image("image/png", &png_bytes(10));
    input.data_url = Some(format!("data:image/png;base64,{}", "A".repeat(9_000_000)));
    let rule = rule_of(check(Role::User, &[input]).unwrap_err());
    assert!(rule.contains("at most 6291456 bytes"), "{rule}");
}

#[test]
fn other_image_types_are_refused() {
    for mime in ["image/gif", "image/webp", "image/PNG", "", "text/plain"] {
        let rule = rule_of(check(Role::User, &[image(mime, &png_bytes(10))]).unwrap_err());
        assert_eq!(rule, "mimeType must be image/png or image/jpeg", "{mime}");
    }
    let mut missing = image("image/png", &png_bytes(10));
    missing.mime_type = None;
    assert!(check(Role::User, &[missing]).is_err());
}

#[test]
fn data_url_must_match_the_mime_type() {
    let mut input = image("image/png", &png_bytes(10));
    input.mime_type = Some("image/jpeg".into());
    let rule = rule_of(check(Role::User, &[input]).unwrap_err());
    assert_eq!(
        rule,
        "dataUrl must start with data:image/jpeg;base64, to match mimeType"
    );
}

#[test]
fn data_url_is_required_and_must_be_base64_data() {
    let mut none = image("image/png", &png_bytes(10));
    none.data_url = None;
    assert_eq!(
        rule_of(check(Role::User, &[none]).unwrap_err()),
        "dataUrl is required for an image"
    );

    let mut url = image("image/png", &png_bytes(10));
    url.data_url = Some("https://example.com/a.png".into());
    assert!(rule_of(check(Role::User, &[url]).unwrap_err()).starts_with("dataUrl must start with"));

    let mut bad = image("image/png", &png_bytes(10));
    bad.data_url = Some("data:image/png;base64,!!!not base64!!!".into());
    assert_eq!(
        rule_of(check(Role::User, &[bad]).unwrap_err()),
        "dataUrl payload is not valid base64"
    );
}

#[test]
fn signatures_must_match_the_declared_format() {
    let jpeg_bytes = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0];
    let rule = rule_of(check(Role::User, &[image("image/png", &jpeg_bytes)]).unwrap_err());
    assert_eq!(
        rule,
        "image data is not a valid image/png file (bad signature)"
    );
    let rule = rule_of(check(Role::User, &[image("image/jpeg", &png_bytes(20))]).unwrap_err());
    assert_eq!(
        rule,
        "image data is not a valid image/jpeg file (bad signature)"
    );
    let rule = rule_of(check(Role::User, &[image("image/png", &[])]).unwrap_err());
    assert!(rule.contains("bad signature"));
}

#[test]
fn text_at_the_character_limit_passes_with_multibyte_characters() {
    let exact = "é".repeat(MAX_TEXT_CHARS);
    assert_eq!(exact.len(), 2 * MAX_TEXT_CHARS);
    let ok = check(Role::User, &[text(&exact)]).unwrap();
    match &ok[0] {
        Attachment::Text {
            size_bytes,
            truncated,
            ..
        } => {
            assert_eq!(*size_bytes, 400_000);
            assert!(!truncated);
        }
        other => panic!("{other:?}"),
    }
    let over = "😀".repeat(MAX_TEXT_CHARS + 1);
    let err = check(Role::User, &[text(&over)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attachments[0] (notes.md): text is 200001 characters; at most 200000 characters allowed"
    );
}

#[test]
fn text_source_size_is_bounded() {
    let mut at = text("x");
    at.size_bytes = Some(MAX_TEXT_SOURCE_BYTES);
    assert!(check(Role::User, &[at]).is_ok());
    let mut over = text("x");
    over.size_bytes = Some(MAX_TEXT_SOURCE_BYTES + 1);
    assert_eq!(
        rule_of(check(Role::User, &[over]).unwrap_err()),
        "sizeBytes is 8388609; at most 8388608 bytes allowed"
    );
    let mut negative = text("x");
    negative.size_bytes = Some(-1);
    assert_eq!(
        rule_of(check(Role::User, &[negative]).unwrap_err()),
        "sizeBytes must not be negative"
    );
}

#[test]
fn text_is_required_and_defaults_are_filled() {
    let mut none = text("");
    none.text = None;
    assert_eq!(
        rule_of(check(Role::User, &[none]).unwrap_err()),
        "text is required for a text attachment"
    );

    let mut bare = text("hi");
    bare.mime_type = None;
    bare.id = Some("mine".into());
    bare.truncated = Some(true);
    let out = check(Role::User, &[bare]).unwrap();
    assert_eq!(
        out[0],
        Attachment::Text {
            id: "mine".into(),
            filename: "notes.md".into(),
            mime_type: "text/plain".into(),
            size_bytes: 2,
            text: "hi".into(),
            truncated: true,
        }
    );
}

#[test]
fn filename_is_required_and_named_by_index() {
    let mut missing = text("a");
    missing.filename = None;
    let err = check(Role::User, &[text("ok"), missing]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attachments[1]: filename is required and must not be empty"
    );
    let mut blank = text("a");
    blank.filename = Some("  ".into());
    assert!(matches!(
        check(Role::User, &[blank]).unwrap_err(),
        AttachmentError::MissingFilename { index: 0, .. }
    ));
}

#[test]
fn kind_must_be_known() {
    for kind in [None, Some("file"), Some("IMAGE")] {
        let mut input = text("a");
        input.kind = kind.map(String::from);
        assert_eq!(
            rule_of(check(Role::User, &[input]).unwrap_err()),
            r#"kind must be "image" or "text""#
        );
    }
}

#[test]
fn the_first_broken_attachment_is_reported() {
    let mut bad = image("image/png", &png_bytes(10));
    bad.filename = Some("b.png".into());
    bad.mime_type = Some("image/gif".into());
    let err = check(Role::User, &[text("fine"), bad, text("fine")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attachments[1] (b.png): mimeType must be image/png or image/jpeg"
    );
}

#[test]
fn stored_form_is_camel_case_with_kind() {
    let out = check(Role::User, &[text("hi")]).unwrap();
    let json = serde_json::to_value(&out[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": "text", "id": "gen-1", "filename": "notes.md",
            "mimeType": "text/markdown", "sizeBytes": 2, "text": "hi", "truncated": false
        })
    );
    let img = check(Role::User, &[image("image/png", &png_bytes(8))]).unwrap();
    let json = serde_json::to_value(&img[0]).unwrap();
    let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 6);
    assert_eq!(json["kind"], "image");
    assert_eq!(
        json["dataUrl"],
        format!("data:image/png;base64,{}", STANDARD.encode(png_bytes(8)))
    );
}
