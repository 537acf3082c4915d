//! A short, readable quote of an error body that is not the engine's JSON (proxy pages, plain text).

use crate::html_text;

/// Characters of a non-JSON body kept in a message.
const MAX_SNIPPET_CHARS: usize = 200;

/// The body as one short line: HTML reduced to its text, whitespace
/// collapsed, cut at `MAX_SNIPPET_CHARS`. Never a whole page.
pub(crate) fn snippet(body: &[u8]) -> String {
    let raw = String::from_utf8_lossy(body);
    let text = if looks_like_html(&raw) {
        html_text::to_text(&raw)
    } else {
        raw.into_owned()
    };
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return "(empty body)".to_string();
    }
    match line.char_indices().nth(MAX_SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

pub(crate) fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || ["<html", "<head", "<body", "<title", "<h1", "<p>", "<div"]
            .iter()
            .any(|tag| head.contains(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_become_their_text() {
        let page =
            b"<!doctype html><html><head><title>403 Forbidden</title><style>p{}</style></head>\
            <body><h1>Forbidden</h1><p>You don't have the permission.</p></body></html>";
        assert_eq!(
            snippet(page),
            "403 Forbidden Forbidden You don't have the permission."
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "word ".repeat(500);
        let s = snippet(body.as_bytes());
        assert_eq!(s.chars().count(), MAX_SNIPPET_CHARS + 1);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn empty_and_plain_bodies() {
        assert_eq!(snippet(b"  \n"), "(empty body)");
        assert_eq!(
            snippet(b"upstream\n  connect error"),
            "upstream connect error"
        );
    }
}
