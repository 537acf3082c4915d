//! Outside identity providers, and the username a new account gets from one.

use std::fmt;

/// The providers `/api/oauth/{provider}` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OAuthProvider {
    Github,
    Apple,
}

impl OAuthProvider {
    /// The path segment and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthProvider::Github => "github",
            OAuthProvider::Apple => "apple",
        }
    }

    pub fn parse(text: &str) -> Option<OAuthProvider> {
        match text {
            "github" => Some(OAuthProvider::Github),
            "apple" => Some(OAuthProvider::Apple),
            _ => None,
        }
    }

    /// How people name it in messages.
    pub fn title(self) -> &'static str {
        match self {
            OAuthProvider::Github => "GitHub",
            OAuthProvider::Apple => "Apple",
        }
    }
}

impl fmt::Display for OAuthProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest username (§3.2).
pub const MAX_USERNAME: usize = 64;

/// The base of a new account's username: `seed` (a GitHub login or an
/// email's local part) reduced to the allowed characters and 64 of them,
/// `user` when nothing is left.
pub fn username_base(seed: &str) -> String {
    let kept: String = seed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(MAX_USERNAME)
        .collect();
    if kept.is_empty() {
        "user".to_string()
    } else {
        kept
    }
}

/// The `n`th candidate from `base`: `base` itself, then `base-2`, `base-3`
/// …, with `base` cut so that it and its suffix fit in 64 characters.
pub fn username_candidate(base: &str, n: u32) -> String {
    if n <= 1 {
        return base.chars().take(MAX_USERNAME).collect();
    }
    let suffix = format!("-{n}");
    let room = MAX_USERNAME - suffix.len();
    let cut: String = base.chars().take(room).collect();
    format!("{cut}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_round_trip_their_names() {
        for p in [OAuthProvider::Github, OAuthProvider::Apple] {
            assert_eq!(OAuthProvider::parse(p.as_str()), Some(p));
        }
        assert_eq!(OAuthProvider::parse("GitHub"), None);
        assert_eq!(OAuthProvider::parse("google"), None);
    }

    #[test]
    fn bases_keep_only_allowed_characters() {
        assert_eq!(username_base("octo-cat_1.x"), "octo-cat_1.x");
        assert_eq!(username_base("jöhn+tag"), "jhntag");
        assert_eq!(username_base("+++"), "user");
        assert_eq!(username_base(""), "user");
        assert_eq!(username_base(&"a".repeat(100)).len(), 64);
    }

    #[test]
    fn candidates_add_a_suffix_that_always_fits() {
        assert_eq!(username_candidate("ann", 1), "ann");
        assert_eq!(username_candidate("ann", 2), "ann-2");
        assert_eq!(username_candidate("ann", 10), "ann-10");
        let long = "b".repeat(64);
        assert_eq!(username_candidate(&long, 1), long);
        let second = username_candidate(&long, 2);
        assert_eq!(second.len(), 64);
        assert!(second.ends_with("b-2"));
        assert_eq!(username_candidate(&long, 123).len(), 64);
    }
}
