//! The `Allow` header of a 405: the methods the spec declares for the path.

/// Path templates of the spec with their methods.
pub struct AllowTable(Vec<(Vec<String>, Vec<String>)>);

impl AllowTable {
    /// Reads the paths of the spec's JSON text.
    pub fn from_spec(spec_json: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut rows = Vec::new();
        if let Some(paths) = spec["paths"].as_object() {
            for (template, ops) in paths {
                let segments = template.split('/').map(str::to_string).collect();
                let methods = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                rows.push((segments, methods));
            }
        }
        AllowTable(rows)
    }

    /// `GET, POST` for a concrete path, or `None` when no template matches.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments
                        .iter()
                        .zip(&parts)
                        .all(|(s, p)| (s.starts_with('{') && !p.is_empty()) || s == p)
            })
            // A literal template (`/v1/chats/title/suggest`) wins over a parameter one.
            .min_by_key(|(segments, _)| segments.iter().filter(|s| s.starts_with('{')).count())
            .map(|(_, methods)| methods.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates_segment_by_segment() {
        let table = AllowTable::from_spec(
            r#"{"paths":{"/v1/chats":{"get":{},"post":{}},"/v1/chats/{chatId}":{"get":{},"delete":{}},
                "/v1/chats/title/suggest":{"post":{}}}}"#,
        );
        assert_eq!(table.allowed("/v1/chats").as_deref(), Some("GET, POST"));
        assert_eq!(
            table.allowed("/v1/chats/abc").as_deref(),
            Some("DELETE, GET")
        );
        assert_eq!(
            table.allowed("/v1/chats/title/suggest").as_deref(),
            Some("POST")
        );
        assert_eq!(table.allowed("/v1/other"), None);
        assert_eq!(table.allowed("/v1/chats/"), None);
    }
}
