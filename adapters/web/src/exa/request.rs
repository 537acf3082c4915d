//! Exa request bodies, camelCase as on the wire (docs/decisions.md, "Exa").

use serde_json::{Value, json};
use sybil_ports::outbound::ExaSearchRequest;

/// Results the `web_search` tool asks Exa for.
pub(crate) const TOOL_NUM_RESULTS: u32 = 8;

/// `/search` for the searches feature: the caller's type, count and domain
/// filter, with highlights and a summary per result. Exa treats the two
/// domain lists as exclusive, so both set is refused before any request.
pub(crate) fn search(request: &ExaSearchRequest) -> Result<Value, &'static str> {
    let mut body = json!({
        "query": request.query,
        "numResults": request.num_results,
        "contents": { "highlights": true, "summary": true },
    });
    if let Some(kind) = &request.search_type {
        body["type"] = json!(kind);
    }
    match (
        request.include_domains.is_empty(),
        request.exclude_domains.is_empty(),
    ) {
        (false, false) => return Err("includeDomains and excludeDomains cannot both be set"),
        (false, true) => body["includeDomains"] = json!(request.include_domains),
        (true, false) => body["excludeDomains"] = json!(request.exclude_domains),
        (true, true) => {}
    }
    Ok(body)
}

/// `/answer` without the cited pages' full text.
pub(crate) fn answer(query: &str) -> Value {
    json!({ "query": query, "text": false })
}

/// `/search` for the `web_search` tool: Exa picks the type; summaries and
/// highlights make the snippets.
pub(crate) fn tool_search(query: &str) -> Value {
    json!({
        "query": query,
        "numResults": TOOL_NUM_RESULTS,
        "contents": { "summary": true, "highlights": true },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ExaSearchRequest {
        ExaSearchRequest {
            query: "rust".into(),
            search_type: None,
            num_results: 5,
            include_domains: vec![],
            exclude_domains: vec![],
        }
    }

    #[test]
    fn minimal_search_has_no_type_and_no_domains() {
        assert_eq!(
            search(&request()),
            Ok(
                json!({"query":"rust","numResults":5,"contents":{"highlights":true,"summary":true}})
            )
        );
    }

    #[test]
    fn type_and_one_domain_list() {
        let mut r = request();
        r.search_type = Some("fast".into());
        r.include_domains = vec!["arxiv.org".into()];
        let body = search(&r).unwrap();
        assert_eq!(body["type"], "fast");
        assert_eq!(body["includeDomains"], json!(["arxiv.org"]));
        assert!(body.get("excludeDomains").is_none());

        let mut r = request();
        r.exclude_domains = vec!["x.com".into()];
        let body = search(&r).unwrap();
        assert_eq!(body["excludeDomains"], json!(["x.com"]));
        assert!(body.get("includeDomains").is_none());
    }

    #[test]
    fn both_domain_lists_are_refused() {
        let mut r = request();
        r.include_domains = vec!["a.org".into()];
        r.exclude_domains = vec!["b.org".into()];
        assert!(search(&r).is_err());
    }

    #[test]
    fn answer_and_tool_bodies() {
        assert_eq!(answer("q"), json!({"query":"q","text":false}));
        assert_eq!(
            tool_search("q"),
            json!({"query":"q","numResults":8,"contents":{"summary":true,"highlights":true}})
        );
    }
}
