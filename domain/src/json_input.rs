//! Rules for what a client may send in any JSON field: no U+0000 in a string
//! or a key (PostgreSQL cannot store it in text), and free-form fields
//! (`metadata`, message parts) nested at most `MAX_DEPTH` deep, so that a
//! stored row can always be parsed again, even inside a larger document.

/// The deepest nesting of objects and arrays accepted in a free-form field:
/// `{}` and `[]` are 1 deep, `{"a": []}` is 2.
pub const MAX_DEPTH: usize = 64;

/// The rule a too-deep field breaks, after its name.
pub fn depth_rule() -> String {
    format!("must be nested at most {MAX_DEPTH} deep")
}

/// The rule a string field with U+0000 breaks, after its name.
pub const NUL_RULE: &str = "must not contain the NUL character (U+0000)";

/// The rule an object whose keys hold U+0000 breaks, after its name.
pub const NUL_KEY_RULE: &str = "must not have a key containing the NUL character (U+0000)";

/// How deep the objects and arrays of `json` (valid JSON text) nest, without
/// recursion, so that any depth is measured safely. Stops counting once past
/// `limit`, returning a value above it.
pub fn nesting_depth(json: &[u8], limit: usize) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut in_string = false;
    let mut bytes = json.iter();
    while let Some(&b) = bytes.next() {
        if in_string {
            match b {
                b'\\' => {
                    bytes.next();
                }
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
                if max > limit {
                    return max;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Whether `json` (valid JSON text) holds U+0000 in a string or a key: in
/// JSON it can only be written as the escape `\u0000`, and every backslash
/// starts an escape of the character after it.
pub fn may_contain_nul(json: &[u8]) -> bool {
    let mut rest = json;
    while let Some(i) = rest.iter().position(|&b| b == b'\\') {
        let escape = &rest[i + 1..];
        if escape.starts_with(b"u0000") {
            return true;
        }
        rest = escape.get(1..).unwrap_or_default();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("{}{}", "[".repeat(n), "]".repeat(n))
    }

    #[test]
    fn depth_counts_objects_and_arrays() {
        assert_eq!(nesting_depth(b"1", 64), 0);
        assert_eq!(nesting_depth(b"\"x\"", 64), 0);
        assert_eq!(nesting_depth(b"{}", 64), 1);
        assert_eq!(nesting_depth(br#"{"a": [1, {"b": []}], "c": {}}"#, 64), 4);
        assert_eq!(nesting_depth(nested(64).as_bytes(), 64), 64);
        assert_eq!(nesting_depth(nested(65).as_bytes(), 64), 65);
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(nesting_depth(br#"{"[[[": "{{{\"[["}"#, 64), 1);
        assert_eq!(nesting_depth(br#"["\\", ["]"]]"#, 64), 2);
    }

    #[test]
    fn depth_stops_past_the_limit() {
        let deep = nested(100_000);
        assert_eq!(nesting_depth(deep.as_bytes(), MAX_DEPTH), MAX_DEPTH + 1);
    }

    #[test]
    fn nul_is_found_only_as_an_escape() {
        assert!(may_contain_nul(br#"{"a": "x\u0000y"}"#));
        assert!(may_contain_nul(br#"{"\u0000": 1}"#));
        assert!(may_contain_nul(br#"["\\\u0000"]"#));
        assert!(!may_contain_nul(br#"["\\u0000"]"#));
        assert!(may_contain_nul(br#"["\u00001"]"#));
        assert!(!may_contain_nul(br#"["\u0001", "0000", "\\"]"#));
        assert!(!may_contain_nul(b"[\"\\"));
    }

    #[test]
    fn rules_state_the_limit() {
        assert_eq!(depth_rule(), "must be nested at most 64 deep");
    }
}
