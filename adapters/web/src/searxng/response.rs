//! SearXNG's JSON answer read tolerantly: only `url`, `title`, `content`, `publishedDate` of results, and answers in both shapes.

use serde_json::Value;
use sybil_ports::outbound::SearchHit;

/// Results kept for the model; SearXNG often merges 20–40 per page.
pub(crate) const MAX_RESULTS: usize = 10;
/// The title given to an instant answer (calculator, currency, …).
const ANSWER_TITLE: &str = "Answer";

/// Instant answers first, then up to `MAX_RESULTS` ranked results (in
/// SearXNG's order). Results without a URL are skipped; unknown keys ignored.
pub(crate) fn hits(body: &Value) -> Result<Vec<SearchHit>, String> {
    let results = body
        .get("results")
        .and_then(Value::as_array)
        .ok_or("the body has no results array")?;
    let answers = body
        .get("answers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(answer).collect::<Vec<_>>())
        .unwrap_or_default();
    let ranked = results.iter().filter_map(result).take(MAX_RESULTS);
    Ok(answers.into_iter().chain(ranked).collect())
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn result(value: &Value) -> Option<SearchHit> {
    Some(SearchHit {
        url: text(value, "url")?.to_string(),
        title: text(value, "title").unwrap_or_default().to_string(),
        snippet: text(value, "content").unwrap_or_default().to_string(),
        published_date: text(value, "publishedDate").map(str::to_string),
    })
}

/// New instances send `{"answer","url",…}`; those before the 2025
/// result-types rewrite send a plain string.
fn answer(value: &Value) -> Option<SearchHit> {
    let (answer, url) = match value {
        Value::String(s) => (s.trim(), ""),
        Value::Object(_) => (text(value, "answer")?, text(value, "url").unwrap_or("")),
        _ => return None,
    };
    (!answer.is_empty()).then(|| SearchHit {
        title: ANSWER_TITLE.to_string(),
        url: url.to_string(),
        snippet: answer.to_string(),
        published_date: None,
    })
}

/// `unresponsive_engines` pairs as `engine (message)`; the message is in
/// the instance's language, so it is passed on, never matched.
pub(crate) fn unresponsive_engines(body: &Value) -> Vec<String> {
    let Some(pairs) = body.get("unresponsive_engines").and_then(Value::as_array) else {
        return Vec::new();
    };
    pairs
        .iter()
        .filter_map(|pair| {
            let pair = pair.as_array()?;
            let engine = pair.first()?.as_str()?;
            Some(match pair.get(1).and_then(Value::as_str) {
                Some(message) if !message.is_empty() => format!("{engine} ({message})"),
                _ => engine.to_string(),
            })
        })
        .collect()
}

/// SearXNG's `{"error":"…"}` (400 `No query`, 500 `search error`).
pub(crate) fn error_text(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    text(&value, "error").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_in_order_with_optional_fields() {
        let body = json!({"query":"q","results":[
            {"url":"https://tokio.rs/","title":"Tokio","content":"runtime","engine":"ddg","score":4.0,
             "publishedDate":null,"parsed_url":["https"],"thumbnail":""},
            {"url":"https://b/","title":"B","content":"","publishedDate":"2024-05-01T00:00:00"},
            {"title":"no url"}
        ],"answers":[],"unresponsive_engines":[["google","timeout"]]});
        let hits = hits(&body).unwrap();
        assert_eq!(
            hits,
            vec![
                SearchHit {
                    title: "Tokio".into(),
                    url: "https://tokio.rs/".into(),
                    snippet: "runtime".into(),
                    published_date: None
                },
                SearchHit {
                    title: "B".into(),
                    url: "https://b/".into(),
                    snippet: String::new(),
                    published_date: Some("2024-05-01T00:00:00".into())
                },
            ]
        );
        assert_eq!(unresponsive_engines(&body), vec!["google (timeout)"]);
    }

    #[test]
    fn answers_as_strings_or_objects_come_first() {
        let body = json!({"results":[{"url":"https://r/","title":"R"}],
            "answers":["42", {"answer":"1 EUR = 1.08 USD","url":"https://ecb/","engine":"currency","template":"answer/legacy.html"}, 7, {"url":"x"}],
            "number_of_results": 0});
        let hits = hits(&body).unwrap();
        assert_eq!(hits.len(), 3);
        assert_eq!(
            (
                hits[0].title.as_str(),
                hits[0].snippet.as_str(),
                hits[0].url.as_str()
            ),
            ("Answer", "42", "")
        );
        assert_eq!(
            (hits[1].snippet.as_str(), hits[1].url.as_str()),
            ("1 EUR = 1.08 USD", "https://ecb/")
        );
        assert_eq!(hits[2].url, "https://r/");
    }

    #[test]
    fn at_most_max_results() {
        let results: Vec<Value> = (0..30)
            .map(|i| json!({"url": format!("https://{i}/")}))
            .collect();
        assert_eq!(
            hits(&json!({"results": results})).unwrap().len(),
            MAX_RESULTS
        );
    }

    #[test]
    fn malformed_bodies_and_errors() {
        assert!(hits(&json!({"query":"q"})).is_err());
        assert_eq!(
            error_text(br#"{"error":"No query"}"#).as_deref(),
            Some("No query")
        );
        assert_eq!(error_text(b"<html>Forbidden</html>"), None);
        assert!(
            unresponsive_engines(&json!({"unresponsive_engines":[["x"], "bad", ["y",""]]}))
                == vec!["x", "y"]
        );
    }
}
