//! The display name from Apple's `user` form field, which Apple sends only
//! on a first sign-in and never puts in the id_token.

use serde::Deserialize;

#[derive(Deserialize)]
struct User {
    name: Option<Name>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Name {
    first_name: Option<String>,
    last_name: Option<String>,
}

/// `"First Last"`, either alone when the other is missing, `None` when
/// neither is given or the JSON is malformed (a name is not worth failing
/// a sign-in for).
pub(super) fn display_name(user: Option<&str>) -> Option<String> {
    let user: User = serde_json::from_str(user?).ok()?;
    let name = user.name?;
    let parts: Vec<String> = [name.first_name, name.last_name]
        .into_iter()
        .flatten()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_what_is_given() {
        let full = r#"{"name":{"firstName":"Ann","lastName":"Lee"},"email":"a@b.c"}"#;
        assert_eq!(display_name(Some(full)).as_deref(), Some("Ann Lee"));
        let first = r#"{"name":{"firstName":"Ann"}}"#;
        assert_eq!(display_name(Some(first)).as_deref(), Some("Ann"));
        let last = r#"{"name":{"firstName":" ","lastName":"Lee"}}"#;
        assert_eq!(display_name(Some(last)).as_deref(), Some("Lee"));
    }

    #[test]
    fn nothing_or_garbage_gives_none() {
        assert_eq!(display_name(None), None);
        assert_eq!(display_name(Some(r#"{"email":"a@b.c"}"#)), None);
        assert_eq!(display_name(Some(r#"{"name":{}}"#)), None);
        assert_eq!(display_name(Some("{not json")), None);
        assert_eq!(display_name(Some(r#"{"name":"Ann"}"#)), None);
    }
}
