//! The canned Exa content: three results of decreasing completeness, two citations, a proxy error page.

use serde_json::{Value, json};

fn slug(query: &str) -> String {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        "page".into()
    } else {
        words.join("-")
    }
}

/// Every field Exa may send, then fewer: the second has a `null` title and
/// no author or date, the third only `id`, `url`, `score` and `text`.
pub(crate) fn results(query: &str) -> Vec<Value> {
    let s = slug(query);
    let first = format!("https://example.com/{s}");
    let second = format!("https://docs.example.org/{s}");
    let third = format!("https://blog.example.net/{s}");
    vec![
        json!({
            "id": first, "url": first,
            "title": format!("All about {query}"),
            "publishedDate": "2023-07-12T00:00:00.000Z",
            "author": "Ada Lovelace",
            "score": 0.41,
            "image": "https://example.com/page_1.png",
            "favicon": "https://example.com/favicon.ico",
            "text": format!("Full text about {query}. It goes on for a while."),
            "highlights": [format!("A highlight about {query}.")],
            "highlightScores": [0.46],
            "summary": format!("A summary of {query}."),
        }),
        json!({
            "id": second, "url": second,
            "title": null,
            "score": 0.33,
            "text": format!("Docs text about {query}."),
            "highlights": ["First highlight.", "Second highlight."],
            "highlightScores": [0.3, 0.2],
            "summary": "",
        }),
        json!({
            "id": third, "url": third,
            "score": 0.2,
            "text": format!("Only text about {query}."),
        }),
    ]
}

pub(crate) fn citations(query: &str) -> Vec<Value> {
    let s = slug(query);
    vec![
        json!({
            "id": format!("https://news.example.com/{s}"),
            "url": format!("https://news.example.com/{s}"),
            "title": format!("News on {query}"),
            "author": null,
            "publishedDate": "2024-12-11T00:00:00.000Z",
            "text": "Cited text.",
        }),
        json!({
            "id": format!("https://wiki.example.org/{s}"),
            "url": format!("https://wiki.example.org/{s}"),
            "title": null,
            "text": "More cited text.",
        }),
    ]
}

/// A gateway's error page, long enough that quoting it whole would be a mistake.
pub(crate) fn proxy_page(status: u16) -> String {
    let filler = "<p>An error occurred while processing your request.</p>\n".repeat(40);
    format!(
        "<!DOCTYPE html>\n<html><head><title>{status} Gateway Error</title>\
         <style>body {{ font-family: sans-serif }}</style></head>\
         <body><center><h1>{status} Gateway Error</h1></center>{filler}<hr><center>nginx</center></body></html>"
    )
}
