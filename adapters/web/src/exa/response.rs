//! Exa answers read tolerantly and normalised to the exact shapes the searches feature stores.

use serde_json::{Map, Value};
use sybil_ports::outbound::{ExaAnswerResponse, ExaSearchResponse, SearchHit};

/// The fields of a stored search result, in this order (docs/decisions.md,
/// "Search results").
const RESULT_FIELDS: [&str; 9] = [
    "id",
    "url",
    "title",
    "publishedDate",
    "author",
    "score",
    "text",
    "highlights",
    "summary",
];
/// The fields of a stored answer citation.
const CITATION_FIELDS: [&str; 5] = ["id", "url", "title", "publishedDate", "author"];
/// Characters of a result's text used as a snippet when it has no summary or highlights.
const TEXT_EXCERPT_CHARS: usize = 300;

/// `/search`'s body: `results` (required) normalised in Exa's order.
pub(crate) fn search(body: &Value) -> Result<ExaSearchResponse, String> {
    let results = body
        .get("results")
        .and_then(Value::as_array)
        .ok_or("the body has no results array")?;
    Ok(ExaSearchResponse {
        request_id: request_id(body),
        results: results.iter().map(|r| pick(r, &RESULT_FIELDS)).collect(),
    })
}

/// `/answer`'s body: the answer as text (an object answer as its JSON),
/// citations normalised; `requestId` may be missing.
pub(crate) fn answer(body: &Value) -> Result<ExaAnswerResponse, String> {
    let answer = match body.get("answer") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => return Err("the body has no answer".to_string()),
        Some(other) => other.to_string(),
    };
    let citations = body
        .get("citations")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(|c| pick(c, &CITATION_FIELDS)).collect())
        .unwrap_or_default();
    Ok(ExaAnswerResponse {
        request_id: request_id(body),
        answer,
        citations,
    })
}

/// Tool hits from `/search` results: results without a URL are dropped.
pub(crate) fn hits(body: &Value) -> Result<Vec<SearchHit>, String> {
    let results = body
        .get("results")
        .and_then(Value::as_array)
        .ok_or("the body has no results array")?;
    Ok(results.iter().filter_map(hit).collect())
}

fn hit(result: &Value) -> Option<SearchHit> {
    let text = |key: &str| {
        result
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let url = text("url")?.to_string();
    Some(SearchHit {
        title: text("title").unwrap_or_default().to_string(),
        url,
        snippet: snippet(result),
        published_date: text("publishedDate").map(str::to_string),
    })
}

/// The summary, else the highlights joined, else the start of the text.
fn snippet(result: &Value) -> String {
    if let Some(summary) = result.get("summary").and_then(Value::as_str)
        && !summary.trim().is_empty()
    {
        return summary.trim().to_string();
    }
    let highlights: Vec<&str> = result
        .get("highlights")
        .and_then(Value::as_array)
        .map(|hs| {
            hs.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !highlights.is_empty() {
        return highlights.join(" … ");
    }
    let text = result.get("text").and_then(Value::as_str).unwrap_or("");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(TEXT_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Exactly `fields`, each as Exa sent it or `null`.
fn pick(value: &Value, fields: &[&str]) -> Value {
    let object: Map<String, Value> = fields
        .iter()
        .map(|f| {
            (
                (*f).to_string(),
                value.get(*f).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    Value::Object(object)
}

fn request_id(body: &Value) -> Option<String> {
    body.get("requestId")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Exa's error text: `error` of its envelope (`{"requestId","error","tag"}`,
/// or `{"error"}` on 429); `None` when the body is not such JSON.
pub(crate) fn error_text(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    match value.get("error").or_else(|| value.get("message"))? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_keep_exactly_the_stored_fields_in_order() {
        let body = json!({"requestId":"r1","costDollars":{"total":0.01},"results":[
            {"id":"a","url":"https://a","title":"A","publishedDate":"2024-01-01","author":"x","score":0.5,
             "text":"t","highlights":["h"],"highlightScores":[0.4],"summary":"s","image":"i","favicon":"f"},
            {"id":"b","url":"https://b","title":null}
        ]});
        let r = search(&body).unwrap();
        assert_eq!(r.request_id.as_deref(), Some("r1"));
        assert_eq!(
            r.results[0],
            json!({"id":"a","url":"https://a","title":"A","publishedDate":"2024-01-01","author":"x",
                   "score":0.5,"text":"t","highlights":["h"],"summary":"s"})
        );
        assert_eq!(
            r.results[1],
            json!({"id":"b","url":"https://b","title":null,"publishedDate":null,"author":null,
                   "score":null,"text":null,"highlights":null,"summary":null})
        );
        let keys: Vec<&String> = r.results[0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 9);
    }

    #[test]
    fn a_body_without_results_is_malformed() {
        assert!(search(&json!({"requestId":"r"})).is_err());
        assert!(search(&json!([])).is_err());
    }

    #[test]
    fn answers_as_text_or_json_text() {
        let a =
            answer(&json!({"answer":"42","citations":[{"id":"c","url":"u","text":"t","extra":1}]}))
                .unwrap();
        assert_eq!(a.answer, "42");
        assert_eq!(a.request_id, None);
        assert_eq!(
            a.citations,
            vec![json!({"id":"c","url":"u","title":null,"publishedDate":null,"author":null})]
        );
        let a = answer(&json!({"answer":{"value":1},"requestId":"r"})).unwrap();
        assert_eq!(a.answer, r#"{"value":1}"#);
        assert_eq!(a.request_id.as_deref(), Some("r"));
        assert!(a.citations.is_empty());
        assert!(answer(&json!({"citations":[]})).is_err());
    }

    #[test]
    fn hit_snippets_prefer_summary_then_highlights_then_text() {
        let body = json!({"results":[
            {"url":"https://1","title":"One","summary":"S","highlights":["h"],"publishedDate":"2024-02-02"},
            {"url":"https://2","title":null,"highlights":["h1"," h2 ",""]},
            {"url":"https://3","text":"word ".repeat(200)},
            {"id":"no-url"}
        ]});
        let hits = hits(&body).unwrap();
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].snippet, "S");
        assert_eq!(hits[0].published_date.as_deref(), Some("2024-02-02"));
        assert_eq!(hits[1].title, "");
        assert_eq!(hits[1].snippet, "h1 … h2");
        assert_eq!(hits[2].snippet.chars().count(), TEXT_EXCERPT_CHARS + 1);
        assert!(hits[2].snippet.ends_with('…'));
    }

    #[test]
    fn error_envelopes() {
        let envelope = br#"{"requestId":"x","error":"Invalid API key","tag":"INVALID_API_KEY"}"#;
        assert_eq!(error_text(envelope).as_deref(), Some("Invalid API key"));
        assert_eq!(
            error_text(br#"{"error":"You've exceeded your Exa rate limit"}"#).as_deref(),
            Some("You've exceeded your Exa rate limit")
        );
        assert_eq!(error_text(b"<html>502</html>"), None);
        assert_eq!(error_text(br#"{"error":""}"#), None);
    }
}
