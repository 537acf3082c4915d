//! SearXNG: the query on the wire, both answer shapes, and its failures in words an operator can act on.

use std::time::Duration;

use serde_json::json;
use sybil_ports::outbound::{SearchHit, WebSearch};
use sybil_testkit::{FakeSearxng, SearxngMode};
use sybil_web::SearxngClient;

fn client(fake: &FakeSearxng) -> SearxngClient {
    SearxngClient::new(&fake.base_url(), Duration::from_secs(10)).unwrap()
}

#[tokio::test]
async fn sends_a_json_query_with_a_browser_accept_language() {
    let fake = FakeSearxng::start().await;
    client(&fake).search("rust async & tokio").await.unwrap();
    let sent = &fake.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("GET", "/search")
    );
    assert_eq!(sent.query, "q=rust+async+%26+tokio&format=json");
    assert!(
        sent.header("accept-language")
            .is_some_and(|v| v.starts_with("en-US"))
    );
    assert!(
        sent.header("user-agent")
            .is_some_and(|v| v.starts_with("Mozilla/5.0"))
    );
}

#[tokio::test]
async fn ranked_results_after_instant_answers() {
    let fake = FakeSearxng::start().await;
    fake.set_unresponsive(&[("google", "timeout"), ("brave", "CAPTCHA")]);
    let hits = client(&fake).search("rust").await.unwrap();
    assert_eq!(
        hits,
        vec![
            SearchHit {
                title: "Answer".into(),
                url: String::new(),
                snippet: "rust is a fine query".into(),
                published_date: None
            },
            SearchHit {
                title: "rust - A".into(),
                url: "https://example.com/a".into(),
                snippet: "All about rust.".into(),
                published_date: None
            },
            SearchHit {
                title: "rust - B".into(),
                url: "https://example.org/b".into(),
                snippet: String::new(),
                published_date: None
            },
            SearchHit {
                title: "rust - C".into(),
                url: "https://example.net/c".into(),
                snippet: "News on rust.".into(),
                published_date: Some("2024-05-01T00:00:00".into())
            },
        ]
    );
}

#[tokio::test]
async fn legacy_instances_with_string_answers() {
    let fake = FakeSearxng::start().await;
    fake.set_mode(SearxngMode::Legacy);
    let hits = client(&fake).search("rust").await.unwrap();
    assert_eq!(hits.len(), 4);
    assert_eq!(
        (hits[0].title.as_str(), hits[0].snippet.as_str()),
        ("Answer", "rust is a fine query")
    );
}

#[tokio::test]
async fn odd_answers_are_tolerated() {
    let fake = FakeSearxng::start().await;
    fake.set_answers(vec![
        json!(7),
        json!({"answer": "obj", "unknown": [1]}),
        json!(null),
        json!("str"),
    ]);
    let hits = client(&fake).search("rust").await.unwrap();
    let answers: Vec<&str> = hits
        .iter()
        .filter(|h| h.title == "Answer")
        .map(|h| h.snippet.as_str())
        .collect();
    assert_eq!(answers, vec!["obj", "str"]);
}

#[tokio::test]
async fn json_disabled_says_how_to_enable_it() {
    let fake = FakeSearxng::start().await;
    fake.set_mode(SearxngMode::JsonDisabled);
    let err = client(&fake).search("rust").await.unwrap_err();
    assert_eq!(
        err.message,
        "searxng: HTTP 403: this SearXNG instance does not allow format=json; \
         enable it by adding json to search.formats in the instance's settings.yml"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn no_query_is_searxngs_400() {
    let fake = FakeSearxng::start().await;
    let err = client(&fake).search("  ").await.unwrap_err();
    assert_eq!(err.message, "searxng: HTTP 400: No query");
}

#[tokio::test]
async fn a_search_error_is_retried_then_reported() {
    let fake = FakeSearxng::start().await;
    fake.set_mode(SearxngMode::ServerError);
    let err = client(&fake).search("rust").await.unwrap_err();
    assert_eq!(err.message, "searxng: HTTP 500: search error");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn no_results_because_every_engine_failed() {
    let fake = FakeSearxng::start().await;
    fake.set_results(vec![]);
    fake.set_answers(vec![]);
    fake.set_unresponsive(&[("google", "timeout"), ("brave", "Suspended: access denied")]);
    let err = client(&fake).search("rust").await.unwrap_err();
    assert_eq!(
        err.message,
        "searxng: no results; these engines failed: google (timeout), brave (Suspended: access denied)"
    );
}

#[tokio::test]
async fn no_results_without_failures_is_an_empty_list() {
    let fake = FakeSearxng::start().await;
    fake.set_results(vec![]);
    fake.set_answers(vec![]);
    assert_eq!(client(&fake).search("rust").await.unwrap(), vec![]);
}
