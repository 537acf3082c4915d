//! Exa: request shapes, normalisation, the tool's hits, concurrency.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sybil_ports::outbound::{ExaApi, ExaSearchRequest, WebSearch};
use sybil_testkit::{ExaMode, ExaPath, FakeExa};

use crate::support::exa;

fn request(query: &str) -> ExaSearchRequest {
    ExaSearchRequest {
        query: query.into(),
        search_type: None,
        num_results: 10,
        include_domains: vec![],
        exclude_domains: vec![],
    }
}

#[tokio::test]
async fn search_sends_exas_camel_case_body_with_the_key_header() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), &fake.api_key());
    let mut req = request("large language model survey");
    req.search_type = Some("fast".into());
    req.num_results = 2;
    req.include_domains = vec!["arxiv.org".into()];
    ExaApi::search(&client, &req).await.unwrap();

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/search")
    );
    assert_eq!(sent[0].header("x-api-key"), Some(fake.api_key().as_str()));
    assert_eq!(sent[0].header("content-type"), Some("application/json"));
    assert_eq!(
        sent[0].body,
        json!({"query":"large language model survey","type":"fast","numResults":2,
               "includeDomains":["arxiv.org"],"contents":{"highlights":true,"summary":true}})
    );
}

#[tokio::test]
async fn search_results_are_normalised_in_exas_order() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), &fake.api_key());
    let mut req = request("rust");
    req.search_type = Some("neural".into());
    req.exclude_domains = vec!["x.com".into()];
    let response = ExaApi::search(&client, &req).await.unwrap();

    assert_eq!(fake.requests()[0].body["excludeDomains"], json!(["x.com"]));
    assert!(fake.requests()[0].body.get("includeDomains").is_none());
    assert!(
        response
            .request_id
            .as_deref()
            .is_some_and(|id| id.len() == 32)
    );
    assert_eq!(
        response.results,
        vec![
            json!({"id":"https://example.com/rust","url":"https://example.com/rust","title":"All about rust",
                   "publishedDate":"2023-07-12T00:00:00.000Z","author":"Ada Lovelace","score":0.41,"text":null,
                   "highlights":["A highlight about rust."],"summary":"A summary of rust."}),
            json!({"id":"https://docs.example.org/rust","url":"https://docs.example.org/rust","title":null,
                   "publishedDate":null,"author":null,"score":0.33,"text":null,
                   "highlights":["First highlight.","Second highlight."],"summary":""}),
            json!({"id":"https://blog.example.net/rust","url":"https://blog.example.net/rust","title":null,
                   "publishedDate":null,"author":null,"score":0.2,"text":null,"highlights":null,"summary":null}),
        ]
    );
}

#[tokio::test]
async fn auto_searches_have_a_null_score() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), &fake.api_key());
    let response = ExaApi::search(&client, &request("rust")).await.unwrap();
    assert!(fake.requests()[0].body.get("type").is_none());
    assert!(response.results.iter().all(|r| r["score"] == Value::Null));
    assert!(
        response
            .results
            .iter()
            .all(|r| r.as_object().unwrap().len() == 9)
    );
}

#[tokio::test]
async fn answer_sends_query_without_text_and_normalises_citations() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), &fake.api_key());
    let answer = client.answer("SpaceX valuation").await.unwrap();

    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/answer");
    assert_eq!(sent.body, json!({"query":"SpaceX valuation","text":false}));
    assert_eq!(answer.answer, "The fake answer about SpaceX valuation.");
    assert!(answer.request_id.is_some());
    assert_eq!(
        answer.citations,
        vec![
            json!({"id":"https://news.example.com/spacex-valuation","url":"https://news.example.com/spacex-valuation",
                   "title":"News on SpaceX valuation","publishedDate":"2024-12-11T00:00:00.000Z","author":null}),
            json!({"id":"https://wiki.example.org/spacex-valuation","url":"https://wiki.example.org/spacex-valuation",
                   "title":null,"publishedDate":null,"author":null}),
        ]
    );
}

#[tokio::test]
async fn an_object_answer_becomes_its_json_text() {
    let fake = FakeExa::start().await;
    fake.set_answer(json!({"valuation": 350}));
    let client = exa(&fake.base_url(), &fake.api_key());
    let answer = client.answer("q").await.unwrap();
    assert_eq!(answer.answer, r#"{"valuation":350}"#);
}

#[tokio::test]
async fn web_search_asks_for_eight_results_with_summary_and_highlights() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), &fake.api_key());
    let hits = WebSearch::search(&client, "tokio runtime").await.unwrap();

    assert_eq!(
        fake.requests()[0].body,
        json!({"query":"tokio runtime","numResults":8,"contents":{"summary":true,"highlights":true}})
    );
    let view: Vec<(&str, &str, &str, Option<&str>)> = hits
        .iter()
        .map(|h| {
            (
                h.title.as_str(),
                h.url.as_str(),
                h.snippet.as_str(),
                h.published_date.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            (
                "All about tokio runtime",
                "https://example.com/tokio-runtime",
                "A summary of tokio runtime.",
                Some("2023-07-12T00:00:00.000Z")
            ),
            (
                "",
                "https://docs.example.org/tokio-runtime",
                "First highlight. … Second highlight.",
                None
            ),
            ("", "https://blog.example.net/tokio-runtime", "", None),
        ]
    );
}

#[tokio::test]
async fn search_and_answer_can_run_concurrently_on_one_client() {
    let fake = FakeExa::start().await;
    let delay = Duration::from_millis(400);
    fake.set_mode(ExaPath::Search, ExaMode::Slow(delay));
    fake.set_mode(ExaPath::Answer, ExaMode::Slow(delay));
    let client = exa(&fake.base_url(), &fake.api_key());
    let started = Instant::now();
    let req = request("q");
    let (search, answer) = tokio::join!(ExaApi::search(&client, &req), client.answer("q"));
    assert!(search.is_ok() && answer.is_ok());
    let arrivals = fake.arrivals();
    assert_eq!(arrivals.len(), 2);
    let gap = if arrivals[0].at > arrivals[1].at {
        arrivals[0].at - arrivals[1].at
    } else {
        arrivals[1].at - arrivals[0].at
    };
    // Both reached Exa before either could have been answered.
    assert!(gap < delay, "{gap:?}");
    assert!(started.elapsed() < delay * 2);
}
