//! Attachment pieces every provider needs in the same words.

/// A text attachment as the model reads it: the file is named, then inlined.
pub(crate) fn text_block(filename: &str, text: &str, truncated: bool) -> String {
    let note = if truncated { " (truncated)" } else { "" };
    format!("Attached file {filename}{note}:\n{text}")
}

/// The base64 payload of a `data:<mime>;base64,<payload>` URL (Anthropic
/// wants it without the prefix). A value without the prefix is taken as the
/// payload itself.
pub(crate) fn base64_payload(data_url: &str) -> &str {
    match data_url.split_once(";base64,") {
        Some((head, payload)) if head.starts_with("data:") => payload,
        _ => data_url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file() {
        assert_eq!(
            text_block("notes.md", "# Hi", false),
            "Attached file notes.md:\n# Hi"
        );
        assert_eq!(
            text_block("big.log", "…", true),
            "Attached file big.log (truncated):\n…"
        );
    }

    #[test]
    fn strips_the_data_url_prefix() {
        assert_eq!(base64_payload("data:image/png;base64,iVBORw0K"), "iVBORw0K");
        assert_eq!(base64_payload("iVBORw0K"), "iVBORw0K");
    }
}
