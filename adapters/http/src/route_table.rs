//! The spec's path templates, matched against concrete paths: the `Allow`
//! header of a 405, and the `route` label of the metrics.

use std::collections::HashMap;

/// Path templates of the spec with their methods. Every request looks its
/// path up (metrics, rate limits), so a literal path is one hash lookup;
/// only templates with parameters are matched segment by segment.
pub struct RouteTable {
    /// Templates without parameters, by path.
    literal: HashMap<String, Row>,
    /// Templates with parameters.
    templated: Vec<Row>,
}

struct Row {
    /// `/v1/chats/:chatId`, as routes are written in the metrics.
    template: String,
    segments: Vec<String>,
    methods: Vec<String>,
}

impl RouteTable {
    /// Reads the paths of the spec's JSON text, plus `extra` literal paths
    /// served outside the spec (`/openapi.json`, `/docs`).
    pub fn from_spec(spec_json: &str, extra: &[&str]) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut rows = Vec::new();
        if let Some(paths) = spec["paths"].as_object() {
            for (template, ops) in paths {
                let methods = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                rows.push(Row::new(template, methods));
            }
        }
        rows.extend(extra.iter().map(|path| Row::new(path, vec!["GET".into()])));
        let (templated, literal): (Vec<Row>, Vec<Row>) =
            rows.into_iter().partition(|row| row.parameters() > 0);
        RouteTable {
            literal: literal
                .into_iter()
                .map(|row| (row.template.clone(), row))
                .collect(),
            templated,
        }
    }

    fn find(&self, path: &str) -> Option<&Row> {
        // A literal template (`/v1/chats/title/suggest`) wins over a parameter one.
        if let Some(row) = self.literal.get(path) {
            return Some(row);
        }
        let count = path.split('/').count();
        self.templated
            .iter()
            .filter(|row| {
                row.segments.len() == count
                    && row
                        .segments
                        .iter()
                        .zip(path.split('/'))
                        .all(|(s, p)| (s.starts_with('{') && !p.is_empty()) || s == p)
            })
            .min_by_key(|row| row.parameters())
    }

    /// `GET, POST` for a concrete path, or `None` when no template matches.
    pub fn allowed(&self, path: &str) -> Option<String> {
        self.find(path).map(|row| row.methods.join(", "))
    }

    /// The template a concrete path matches (`/v1/chats/:chatId`), or `None`.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.find(path).map(|row| row.template.as_str())
    }
}

impl Row {
    fn parameters(&self) -> usize {
        self.segments.iter().filter(|s| s.starts_with('{')).count()
    }

    fn new(template: &str, methods: Vec<String>) -> Row {
        let segments: Vec<String> = template.split('/').map(str::to_string).collect();
        let written: Vec<String> = segments
            .iter()
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => format!(":{name}"),
                    None => s.clone(),
                },
            )
            .collect();
        Row {
            template: written.join("/"),
            segments,
            methods,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::from_spec(
            r#"{"paths":{"/v1/chats":{"get":{},"post":{}},"/v1/chats/{chatId}":{"get":{},"delete":{}},
                "/v1/chats/title/suggest":{"post":{}}}}"#,
            &["/openapi.json"],
        )
    }

    #[test]
    fn matches_templates_segment_by_segment() {
        let table = table();
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

    #[test]
    fn templates_are_written_with_colon_parameters() {
        let table = table();
        assert_eq!(table.template("/v1/chats/abc"), Some("/v1/chats/:chatId"));
        assert_eq!(
            table.template("/v1/chats/title/suggest"),
            Some("/v1/chats/title/suggest")
        );
        assert_eq!(table.template("/openapi.json"), Some("/openapi.json"));
        assert_eq!(table.template("/v1/chats/abc/def/ghi"), None);
    }
}
