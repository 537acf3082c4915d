//! The one check for U+0000 in a request body: PostgreSQL cannot store it in
//! text, so no client string (value or key, in any field of any body) may
//! hold it. The cheap scan of the text finds none in almost every body; only
//! when it finds one is the body walked to name the field.

use serde_json::Value;
use sybil_domain::json_input::{NUL_KEY_RULE, NUL_RULE, may_contain_nul};

/// The 400 message for the first field of `body` (valid JSON) holding U+0000.
pub fn nul_field(body: &[u8]) -> Option<String> {
    if !may_contain_nul(body) {
        return None;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => find(&value, &mut String::new()),
        // Deeper than serde_json goes: the body cannot be walked, so it is
        // named as a whole.
        Err(_) => Some(format!("the request body {NUL_RULE}")),
    }
}

fn find(value: &Value, path: &mut String) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(format!("{} {NUL_RULE}", shown(path))),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                return Some(format!("{} {NUL_KEY_RULE}", shown(path)));
            }
            map.iter().find_map(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = find(item, path);
                path.truncate(len);
                found
            })
        }
        _ => None,
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "the request body"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(json: &str) -> Option<String> {
        nul_field(json.as_bytes())
    }

    #[test]
    fn names_the_string_field() {
        assert_eq!(
            of(r#"{"messages": [{"content": "ok"}, {"content": "a\u0000b"}]}"#).as_deref(),
            Some("messages[1].content must not contain the NUL character (U+0000)")
        );
        assert_eq!(
            of(r#"{"includeDomains": ["a", "\u0000"]}"#).as_deref(),
            Some("includeDomains[1] must not contain the NUL character (U+0000)")
        );
    }

    #[test]
    fn names_the_object_whose_key_holds_it() {
        assert_eq!(
            of(r#"{"metadata": {"a": {"k\u0000": 1}}}"#).as_deref(),
            Some("metadata.a must not have a key containing the NUL character (U+0000)")
        );
    }

    #[test]
    fn other_escapes_pass() {
        assert_eq!(of(r#"{"a": "\\u0000 \u0001 \n"}"#), None);
        assert_eq!(of(r#"{"a": "plain"}"#), None);
    }
}
