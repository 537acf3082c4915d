//! What a fetched body is (HTML, text, or something the model cannot read) and how it becomes a string.

use encoding_rs::{Encoding, UTF_8};

/// How a body is turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Html,
    /// Returned as is: text/*, JSON, XML, JavaScript, YAML…
    Text,
    /// No `Content-Type`: decided from the bytes once read.
    Unknown,
    /// Images, PDFs, archives, octet streams…
    Binary,
}

/// The media type without parameters, lowercased (`text/html`).
pub(crate) fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub(crate) fn kind(content_type: Option<&str>) -> Kind {
    let Some(content_type) = content_type else {
        return Kind::Unknown;
    };
    let essence = essence(content_type);
    match essence.as_str() {
        "" => Kind::Unknown,
        "text/html" | "application/xhtml+xml" => Kind::Html,
        e if e.starts_with("text/") => Kind::Text,
        e if e.ends_with("+json") || e.ends_with("+xml") => Kind::Text,
        "application/json"
        | "application/x-ndjson"
        | "application/xml"
        | "application/javascript"
        | "application/x-javascript"
        | "application/ecmascript"
        | "application/yaml"
        | "application/x-yaml"
        | "application/toml"
        | "application/x-sh"
        | "application/sql"
        | "application/graphql" => Kind::Text,
        _ => Kind::Binary,
    }
}

/// For a body without a `Content-Type`: HTML if it starts like a page,
/// text if it is UTF-8 without NUL bytes, else binary.
pub(crate) fn sniff(bytes: &[u8]) -> Kind {
    let head = &bytes[..bytes.len().min(1024)];
    if head.contains(&0) {
        return Kind::Binary;
    }
    let text = String::from_utf8_lossy(head);
    if crate::snippet::looks_like_html(&text) {
        return Kind::Html;
    }
    // A cut may split the last character; only earlier damage means binary.
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if valid { Kind::Text } else { Kind::Binary }
}

/// The body decoded with the `charset` of `Content-Type` (a BOM wins),
/// UTF-8 by default; bad sequences become U+FFFD. A body `cut` short may
/// end inside a character: that half character is dropped.
pub(crate) fn decode(bytes: &[u8], content_type: Option<&str>, cut: bool) -> String {
    let encoding = content_type
        .and_then(charset)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .unwrap_or(UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    let mut text = text.into_owned();
    if cut && text.ends_with('\u{FFFD}') {
        text.pop();
    }
    text
}

fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_content_type() {
        let cases = [
            (Some("text/html; charset=utf-8"), Kind::Html),
            (Some("TEXT/HTML"), Kind::Html),
            (Some("application/xhtml+xml"), Kind::Html),
            (Some("text/plain"), Kind::Text),
            (Some("text/markdown"), Kind::Text),
            (Some("text/csv"), Kind::Text),
            (Some("application/json"), Kind::Text),
            (Some("application/ld+json"), Kind::Text),
            (Some("application/rss+xml"), Kind::Text),
            (Some("application/javascript"), Kind::Text),
            (Some("image/png"), Kind::Binary),
            (Some("application/pdf"), Kind::Binary),
            (Some("application/octet-stream"), Kind::Binary),
            (Some("application/zip"), Kind::Binary),
            (Some("video/mp4"), Kind::Binary),
            (Some(""), Kind::Unknown),
            (None, Kind::Unknown),
        ];
        for (ct, want) in cases {
            assert_eq!(kind(ct), want, "{ct:?}");
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"<!DOCTYPE html><p>x"), Kind::Html);
        assert_eq!(sniff(b"just words"), Kind::Text);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Kind::Binary);
        assert_eq!(sniff(b"\xff\xfe\xfd bad utf8 here"), Kind::Binary);
        assert_eq!(sniff("caf\u{e9}".as_bytes()), Kind::Text);
        assert_eq!(sniff(&"café".as_bytes()[..4]), Kind::Text);
    }

    #[test]
    fn decoding_follows_the_charset() {
        assert_eq!(
            decode(b"caf\xe9", Some("text/plain; charset=ISO-8859-1"), false),
            "café"
        );
        assert_eq!(
            decode(
                b"caf\xe9",
                Some("text/plain; charset=\"windows-1252\""),
                false
            ),
            "café"
        );
        assert_eq!(decode("café".as_bytes(), Some("text/plain"), false), "café");
        assert_eq!(decode("café".as_bytes(), None, false), "café");
        assert_eq!(decode(&"café".as_bytes()[..4], None, true), "caf");
        assert_eq!(
            decode(b"x", Some("text/plain; charset=nonsense"), false),
            "x"
        );
    }
}
