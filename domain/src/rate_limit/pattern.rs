//! Which requests an assignment covers (§4.12, §7.2): an upper-case method
//! and a path pattern whose segments are literals, `:name` (or `*`) for any
//! one segment, and a trailing `/*` for everything below a prefix.

use std::cmp::Ordering;

use super::RuleError;

/// The methods an assignment may name; `OPTIONS` is never limited.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// An assignment's method: trimmed, upper-cased, one of [`METHODS`].
pub fn method(given: &str) -> Result<String, RuleError> {
    let method = given.trim().to_uppercase();
    if method.is_empty() {
        return Err(RuleError::new("method", "HTTP method is required"));
    }
    if !METHODS.contains(&method.as_str()) {
        return Err(RuleError::new(
            "method",
            format!(
                "unsupported HTTP method {method}: use one of {}",
                METHODS.join(", ")
            ),
        ));
    }
    Ok(method)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `:name` or `*`: any one segment.
    Any,
}

/// A stored path pattern, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    text: String,
    segments: Vec<Segment>,
    /// Ends in `/*`: the prefix and every path below it.
    below: bool,
}

fn bad_path(message: impl Into<String>) -> RuleError {
    RuleError::new("path", message)
}

/// The segments of a path after its leading `/`, trailing slashes ignored;
/// the root has none.
fn segments_of(path: &str) -> impl Iterator<Item = &str> {
    let path = path.trim_end_matches('/');
    let path = path.strip_prefix('/').unwrap_or(path);
    path.split('/').filter(move |_| !path.is_empty())
}

impl PathPattern {
    /// An admin's pattern: trimmed, with a leading `/`, no whitespace,
    /// `{name}` segments stored as `:name`, `*` only as a whole segment.
    pub fn parse(given: &str) -> Result<PathPattern, RuleError> {
        let given = given.trim();
        if given.is_empty() {
            return Err(bad_path("path is required"));
        }
        if given.chars().any(char::is_whitespace) {
            return Err(bad_path("path must not contain whitespace"));
        }
        let given = given.trim_end_matches('/');
        let mut text = String::new();
        let mut segments = Vec::new();
        let mut below = false;
        let parts: Vec<&str> = segments_of(given).collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let stored = if *part == "*" {
                if last {
                    below = true;
                } else {
                    segments.push(Segment::Any);
                }
                "*".to_string()
            } else if part.contains('*') {
                return Err(bad_path("`*` must be a whole path segment"));
            } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                parameter(name)?;
                segments.push(Segment::Any);
                format!(":{name}")
            } else if let Some(name) = part.strip_prefix(':') {
                parameter(name)?;
                segments.push(Segment::Any);
                part.to_string()
            } else if part.is_empty() || part.contains(['{', '}']) {
                return Err(bad_path(format!("path has a malformed segment: {part:?}")));
            } else {
                segments.push(Segment::Literal(part.to_string()));
                part.to_string()
            };
            text.push('/');
            text.push_str(&stored);
        }
        if text.is_empty() {
            text.push('/');
        }
        Ok(PathPattern {
            text,
            segments,
            below,
        })
    }

    /// A pattern as stored (already checked when it was assigned).
    pub fn stored(text: &str) -> PathPattern {
        PathPattern::parse(text).unwrap_or(PathPattern {
            text: text.to_string(),
            segments: vec![Segment::Literal(text.to_string())],
            below: false,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a request path falls under this pattern.
    pub fn matches(&self, path: &str) -> bool {
        let mut have = segments_of(path);
        for want in &self.segments {
            match (want, have.next()) {
                (Segment::Any, Some(_)) => {}
                (Segment::Literal(w), Some(h)) if w == h => {}
                _ => return false,
            }
        }
        self.below || have.next().is_none()
    }

    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    /// Most specific first (§7.2): more literal segments, then more
    /// segments, then the smaller pattern text.
    pub fn precedence(&self, other: &PathPattern) -> Ordering {
        other
            .literals()
            .cmp(&self.literals())
            .then(other.segments.len().cmp(&self.segments.len()))
            .then(self.text.cmp(&other.text))
    }
}

fn parameter(name: &str) -> Result<(), RuleError> {
    if name.is_empty() || name.contains(['{', '}', ':', '*']) {
        return Err(bad_path("a path parameter needs a name, as in {id}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(given: &str) -> String {
        PathPattern::parse(given).unwrap().as_str().to_string()
    }

    #[test]
    fn methods_are_upper_cased_and_options_is_refused() {
        assert_eq!(method(" post ").unwrap(), "POST");
        assert_eq!(method("head").unwrap(), "HEAD");
        assert_eq!(method("  ").unwrap_err().message, "HTTP method is required");
        assert!(
            method("OPTIONS")
                .unwrap_err()
                .message
                .contains("unsupported")
        );
        assert!(method("TRACE").is_err());
    }

    #[test]
    fn patterns_are_stored_in_one_form() {
        assert_eq!(stored("api/threads/{id}/root"), "/api/threads/:id/root");
        assert_eq!(stored(" /v1/chats/ "), "/v1/chats");
        assert_eq!(stored("*"), "/*");
        assert_eq!(stored("/api/*"), "/api/*");
        assert_eq!(stored("/api/*/x"), "/api/*/x");
        assert_eq!(stored("/"), "/");
        assert_eq!(stored("/a/:b"), "/a/:b");
    }

    #[test]
    fn bad_paths_are_refused() {
        for bad in [
            "", "  ", "/a b", "/api/th*", "/**", "/a/{}", "/a//b", "/a/{b", "/a/:",
        ] {
            let err = PathPattern::parse(bad).unwrap_err();
            assert_eq!(err.field, "path", "{bad}");
        }
        assert_eq!(
            PathPattern::parse("/v*").unwrap_err().message,
            "`*` must be a whole path segment"
        );
    }

    #[test]
    fn segments_match_one_by_one() {
        let p = PathPattern::parse("/api/threads/{id}/root").unwrap();
        assert!(p.matches("/api/threads/123/root"));
        assert!(p.matches("/api/threads/123/root/"));
        assert!(!p.matches("/api/threads/123"));
        assert!(!p.matches("/api/threads/123/root/x"));
        assert!(!p.matches("/API/threads/123/root"));
        let star = PathPattern::parse("/api/*/x").unwrap();
        assert!(star.matches("/api/anything/x"));
        assert!(!star.matches("/api/x"));
    }

    #[test]
    fn a_trailing_star_covers_its_prefix_and_below() {
        let p = PathPattern::parse("/api/*").unwrap();
        assert!(p.matches("/api"));
        assert!(p.matches("/api/"));
        assert!(p.matches("/api/a/b/c"));
        assert!(!p.matches("/apix"));
        assert!(!p.matches("/v1/chats"));
        let all = PathPattern::parse("*").unwrap();
        assert!(all.matches("/"));
        assert!(all.matches("/v1/chat-completions"));
        let root = PathPattern::parse("/").unwrap();
        assert!(root.matches("/"));
        assert!(!root.matches("/a"));
    }

    #[test]
    fn the_most_specific_pattern_comes_first() {
        let mut patterns: Vec<PathPattern> = [
            "*",
            "/api/*",
            "/api/:x/root",
            "/api/threads/:id/root",
            "/api/threads/*",
            "/b/:x",
            "/a/:x",
        ]
        .into_iter()
        .map(|p| PathPattern::parse(p).unwrap())
        .collect();
        patterns.sort_by(PathPattern::precedence);
        let order: Vec<&str> = patterns.iter().map(PathPattern::as_str).collect();
        assert_eq!(
            order,
            [
                "/api/threads/:id/root",
                "/api/:x/root",
                "/api/threads/*",
                "/a/:x",
                "/b/:x",
                "/api/*",
                "/*"
            ]
        );
    }
}
