//! Text from upstreams (models, tools, fetched pages, search engines) may
//! hold U+0000, which PostgreSQL cannot store in `text` or `jsonb`. Each one
//! is replaced by U+FFFD (the replacement character) where such text enters
//! the core, so both backends store and send the same thing.

use serde_json::Value;

/// `text` with each U+0000 replaced by U+FFFD; unchanged (not copied) when
/// it has none.
pub fn replace_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

/// JSON text (a model's tool-call arguments) with each U+0000 replaced,
/// whether written as itself or as the escape `\u0000`: the arguments are
/// parsed and stored as JSON, where the escape becomes the character.
pub fn replace_nul_in_json_text(json: String) -> String {
    let json = replace_nul(json);
    if !json.contains("\\u0000") {
        return json;
    }
    let mut out = String::with_capacity(json.len());
    let mut rest = json.as_str();
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(after) = escape.strip_prefix("\\u0000") {
            out.push_str("\\ufffd");
            rest = after;
        } else {
            // An escape of two characters at least (`\\`, `\"`, `\uXXXX`):
            // copy the backslash and the one after it, so an escaped
            // backslash is never taken for the start of another escape.
            let next = escape[1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&escape[..1 + next]);
            rest = &escape[1 + next..];
        }
    }
    out.push_str(rest);
    out
}

/// Every string and key in `value` with each U+0000 replaced.
pub fn replace_nul_in_value(value: &mut Value) {
    match value {
        Value::String(s) if s.contains('\0') => *s = replace_nul(std::mem::take(s)),
        Value::Array(items) => items.iter_mut().for_each(replace_nul_in_value),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (replace_nul(k), v))
                    .collect();
            }
            map.values_mut().for_each(replace_nul_in_value);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_nul_becomes_the_replacement_character() {
        assert_eq!(replace_nul("a\0b\0".into()), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(replace_nul("\0".into()), "\u{FFFD}");
        assert_eq!(replace_nul(String::new()), "");
        assert_eq!(replace_nul("plain é".into()), "plain é");
    }

    #[test]
    fn json_text_loses_its_nul_escapes_too() {
        let cases = [
            (r#"{"q":"a\u0000b"}"#, r#"{"q":"a\ufffdb"}"#),
            ("{\"q\":\"a\0b\"}", "{\"q\":\"a\u{FFFD}b\"}"),
            // An escaped backslash followed by the text u0000 is no NUL.
            (r#"{"q":"\\u0000"}"#, r#"{"q":"\\u0000"}"#),
            (r#"{"q":"\\\u0000"}"#, r#"{"q":"\\\ufffd"}"#),
            (r#"{"q":"\u00001"}"#, r#"{"q":"\ufffd1"}"#),
            (r#"{"q":"\u0001 \n é"}"#, r#"{"q":"\u0001 \n é"}"#),
            (r#"{"q":"trailing \"#, r#"{"q":"trailing \"#),
        ];
        for (given, want) in cases {
            assert_eq!(replace_nul_in_json_text(given.into()), want, "{given}");
        }
        let parsed: Value =
            serde_json::from_str(&replace_nul_in_json_text(r#"{"q":"a\u0000"}"#.into())).unwrap();
        assert_eq!(parsed, json!({ "q": "a\u{FFFD}" }));
    }

    #[test]
    fn every_string_and_key_of_a_value() {
        let mut v = json!({ "a\0": ["x\0", 1, null, { "t": "\0\0" }], "n": 2 });
        replace_nul_in_value(&mut v);
        assert_eq!(
            v,
            json!({ "a\u{FFFD}": ["x\u{FFFD}", 1, null, { "t": "\u{FFFD}\u{FFFD}" }], "n": 2 })
        );
    }
}
