//! serde's error for a request body, worded as the other validation errors
//! are: the field, then the rule it breaks (`provider must be a string`).

/// The message for `reason` (serde_json's text, position stripped) at
/// `path` (serde_path_to_error's, `.` for the body itself).
pub fn field_error(path: &str, reason: &str) -> String {
    match (path == ".", rule_of(reason)) {
        (true, Some(rule)) => format!("the request body {rule}"),
        (false, Some(rule)) => format!("{path} {rule}"),
        (true, None) => format!("invalid request body: {reason}"),
        (false, None) => format!("{path}: {reason}"),
    }
}

/// "must be …" for a wrong type or value; a rule already worded that way
/// (the bodies' own checks) as it is; `None` for anything else (a missing or
/// unknown field, which serde names itself).
fn rule_of(reason: &str) -> Option<String> {
    if reason.starts_with("must ") {
        return Some(reason.to_string());
    }
    if let Some(rest) = reason.strip_prefix("invalid type: ") {
        let (_, expected) = rest.rsplit_once(", expected ")?;
        return Some(format!("must be {}", kind(expected)));
    }
    let rest = reason.strip_prefix("invalid value: ")?;
    let (_, expected) = rest.rsplit_once(", expected ")?;
    Some(match integer_range(expected) {
        Some((min, max)) => format!("must be an integer from {min} to {max}"),
        None => format!("must be {}", kind(expected)),
    })
}

/// serde's name of an expected type, as JSON calls it.
fn kind(expected: &str) -> &str {
    if integer_range(expected).is_some() {
        return "an integer";
    }
    match expected {
        "a string" | "a borrowed string" => "a string",
        "f32" | "f64" => "a number",
        "a boolean" => "a boolean",
        "a sequence" => "an array",
        "unit" => "null",
        "a map" | "map" => "an object",
        other if other.starts_with("struct ") || other.contains("tagged enum ") => "an object",
        other => other,
    }
}

fn integer_range(expected: &str) -> Option<(i128, i128)> {
    Some(match expected {
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" => (i64::MIN.into(), i64::MAX.into()),
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" => (0, u64::MAX.into()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_name_the_field_and_the_json_type() {
        let cases = [
            (
                "provider",
                "invalid type: null, expected a string",
                "provider must be a string",
            ),
            (
                "items[1].sizeBytes",
                r#"invalid type: string "x", expected i64"#,
                "items[1].sizeBytes must be an integer",
            ),
            (
                "temperature",
                "invalid type: string \"a, expected b\", expected f64",
                "temperature must be a number",
            ),
            (
                "resumable",
                "invalid type: null, expected a boolean",
                "resumable must be a boolean",
            ),
            (
                "messages",
                "invalid type: null, expected a sequence",
                "messages must be an array",
            ),
            (
                "messages[0]",
                "invalid type: null, expected struct CompletionMessage",
                "messages[0] must be an object",
            ),
            (
                ".",
                "invalid type: string \"x\", expected struct X",
                "the request body must be an object",
            ),
        ];
        for (path, reason, message) in cases {
            assert_eq!(field_error(path, reason), message, "{reason}");
        }
    }

    #[test]
    fn out_of_range_integers_state_the_range() {
        assert_eq!(
            field_error(
                "maxTokens",
                "invalid value: integer `18446744073709551615`, expected i64"
            ),
            "maxTokens must be an integer from -9223372036854775808 to 9223372036854775807"
        );
    }

    #[test]
    fn rules_and_other_errors_keep_their_words() {
        assert_eq!(
            field_error("provider", "must be one of openai, anthropic, xai"),
            "provider must be one of openai, anthropic, xai"
        );
        assert_eq!(
            field_error("messages[0]", "missing field `content`"),
            "messages[0]: missing field `content`"
        );
        assert_eq!(
            field_error(".", "missing field `items`"),
            "invalid request body: missing field `items`"
        );
    }
}
