//! Searches: the stored search and its last run, the run rules, and the
//! hidden context message a search-to-chat starts with.

use serde_json::Value;
use uuid::Uuid;

use crate::Timestamp;
use crate::tool_loop::cap_output;

/// Most results Exa may be asked for.
pub const MAX_NUM_RESULTS: u32 = 100;
pub const DEFAULT_NUM_RESULTS: u32 = 10;
/// Results quoted in a search-to-chat context message.
const CONTEXT_RESULTS: usize = 10;
/// Characters of one result's text quoted in the context message.
const CONTEXT_SNIPPET_CHARS: usize = 1_200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub id: Uuid,
    pub title: Option<String>,
    pub query: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The outcome of a search's last run; all empty before the first run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRun {
    pub request_id: Option<String>,
    pub latency_ms: Option<i64>,
    pub error: Option<String>,
    pub answer_text: Option<String>,
    pub answer_request_id: Option<String>,
    pub answer_citations: Vec<Value>,
    pub answer_error: Option<String>,
    /// `{ id, url, title, publishedDate, author, score, text, highlights, summary }`, in Exa's order.
    pub results: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchRuleError {
    #[error("numResults must be an integer from 1 to {MAX_NUM_RESULTS}")]
    NumResults,
    #[error("includeDomains and excludeDomains cannot be used together")]
    BothDomainLists,
    #[error("query is required: the search has no query and none was given")]
    NoQuery,
}

/// Checks a run's options; returns the number of results to ask for.
pub fn check_run(
    num_results: Option<i64>,
    include: &[String],
    exclude: &[String],
) -> Result<u32, SearchRuleError> {
    if !include.is_empty() && !exclude.is_empty() {
        return Err(SearchRuleError::BothDomainLists);
    }
    match num_results {
        None => Ok(DEFAULT_NUM_RESULTS),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_NUM_RESULTS).contains(n))
            .ok_or(SearchRuleError::NumResults),
    }
}

/// The title of a chat made from a search, unless the client gives one.
pub fn search_chat_title(search: &Search) -> String {
    let subject = search
        .query
        .as_deref()
        .or(search.title.as_deref())
        .unwrap_or("untitled search");
    format!("Search: {subject}")
}

fn text_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn cut(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// The hidden system message of a search-to-chat: readable text holding the
/// query, the answer with its citations, and the top results; bounded in
/// size like a tool output.
pub fn search_context(search: &Search, run: &SearchRun) -> String {
    let mut text = String::from("Context from a web search the user ran before this chat.\n");
    if let Some(q) = &search.query {
        text.push_str(&format!("\nQuery: {q}\n"));
    }
    match (&run.answer_text, &run.answer_error) {
        (Some(answer), _) => text.push_str(&format!("\nAnswer:\n{}\n", answer.trim())),
        (None, Some(error)) => text.push_str(&format!("\nThe answer could not be made: {error}\n")),
        (None, None) => {}
    }
    if !run.answer_citations.is_empty() {
        text.push_str("\nAnswer citations:\n");
        for (i, c) in run.answer_citations.iter().enumerate() {
            let title = text_field(c, "title").unwrap_or("(untitled)");
            let url = text_field(c, "url").unwrap_or("");
            text.push_str(&format!("[{}] {title} - {url}\n", i + 1));
        }
    }
    if !run.results.is_empty() {
        text.push_str("\nTop results:\n");
        for (i, r) in run.results.iter().take(CONTEXT_RESULTS).enumerate() {
            let title = text_field(r, "title").unwrap_or("(untitled)");
            let url = text_field(r, "url").unwrap_or("");
            let date = text_field(r, "publishedDate")
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            let highlights = r
                .get("highlights")
                .and_then(Value::as_array)
                .map(|h| {
                    h.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" … ")
                })
                .filter(|h| !h.is_empty());
            let body = text_field(r, "summary")
                .map(String::from)
                .or(highlights)
                .or_else(|| text_field(r, "text").map(String::from))
                .unwrap_or_default();
            text.push_str(&format!(
                "\n{}. {title}{date}\n{url}\n{}\n",
                i + 1,
                cut(body.trim(), CONTEXT_SNIPPET_CHARS)
            ));
        }
    } else if let Some(error) = &run.error {
        text.push_str(&format!("\nThe search itself failed: {error}\n"));
    }
    cap_output(text.trim_end())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn search(query: Option<&str>, title: Option<&str>) -> Search {
        Search {
            id: Uuid::nil(),
            title: title.map(String::from),
            query: query.map(String::from),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn run_options_are_bounded() {
        assert_eq!(check_run(None, &[], &[]), Ok(10));
        assert_eq!(check_run(Some(1), &[], &[]), Ok(1));
        assert_eq!(check_run(Some(100), &["a.com".into()], &[]), Ok(100));
        assert_eq!(
            check_run(Some(0), &[], &[]),
            Err(SearchRuleError::NumResults)
        );
        assert_eq!(
            check_run(Some(101), &[], &[]),
            Err(SearchRuleError::NumResults)
        );
        assert_eq!(
            check_run(Some(-3), &[], &[]),
            Err(SearchRuleError::NumResults)
        );
        assert_eq!(
            check_run(None, &["a.com".into()], &["b.com".into()]),
            Err(SearchRuleError::BothDomainLists)
        );
    }

    #[test]
    fn chat_titles_prefer_the_query() {
        assert_eq!(
            search_chat_title(&search(Some("rust"), Some("T"))),
            "Search: rust"
        );
        assert_eq!(search_chat_title(&search(None, Some("T"))), "Search: T");
        assert_eq!(
            search_chat_title(&search(None, None)),
            "Search: untitled search"
        );
    }

    #[test]
    fn context_holds_query_answer_citations_and_results() {
        let run = SearchRun {
            answer_text: Some("Tokio is a runtime.".into()),
            answer_citations: vec![json!({ "title": "Tokio", "url": "https://tokio.rs" })],
            results: vec![
                json!({ "title": "Tokio docs", "url": "https://docs.rs/tokio", "publishedDate": "2024-01-01",
                        "summary": "Docs.", "highlights": ["h"], "text": "t" }),
                json!({ "title": null, "url": "https://x", "highlights": ["one", "two"] }),
            ],
            ..SearchRun::default()
        };
        let text = search_context(&search(Some("rust async"), None), &run);
        assert!(text.contains("Query: rust async"));
        assert!(text.contains("Answer:\nTokio is a runtime."));
        assert!(text.contains("[1] Tokio - https://tokio.rs"));
        assert!(text.contains("1. Tokio docs (2024-01-01)\nhttps://docs.rs/tokio\nDocs."));
        assert!(text.contains("2. (untitled)\nhttps://x\none … two"));
    }

    #[test]
    fn context_is_bounded() {
        let results: Vec<Value> = (0..50)
            .map(|i| json!({ "title": format!("r{i}"), "url": "u", "text": "x".repeat(50_000) }))
            .collect();
        let run = SearchRun {
            answer_text: Some("a".repeat(30_000)),
            results,
            ..SearchRun::default()
        };
        let text = search_context(&search(Some("q"), None), &run);
        assert!(text.chars().count() <= crate::tool_loop::TOOL_OUTPUT_LIMIT);
        assert!(!text.contains("r10\n"), "at most ten results are quoted");
    }

    #[test]
    fn failures_are_described() {
        let run = SearchRun {
            error: Some("exa: HTTP 500".into()),
            answer_error: Some("exa: HTTP 429".into()),
            ..SearchRun::default()
        };
        let text = search_context(&search(Some("q"), None), &run);
        assert!(text.contains("The answer could not be made: exa: HTTP 429"));
        assert!(text.contains("The search itself failed: exa: HTTP 500"));
    }
}
