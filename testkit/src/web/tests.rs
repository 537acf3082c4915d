//! The web fakes speak their peers' wire formats, checked with a plain HTTP client.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

async fn post(url: &str, key: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .header("x-api-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn exa_checks_the_key_without_quoting_it() {
    let exa = FakeExa::start().await;
    let (status, body) = post(
        &format!("{}/search", exa.base_url()),
        "wrong-key-zzz",
        &json!({"query":"q"}),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["tag"], "INVALID_API_KEY");
    assert!(body["requestId"].is_string());
    assert!(!body.to_string().contains("wrong-key-zzz"));
}

#[tokio::test]
async fn exa_search_drops_score_for_auto_and_unrequested_contents() {
    let exa = FakeExa::start().await;
    let url = format!("{}/search", exa.base_url());
    let (status, body) = post(
        &url,
        &exa.api_key(),
        &json!({"query":"rust","numResults":2,"contents":{"summary":true}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    assert!(body["results"][0].get("score").is_none());
    assert!(body["results"][0].get("highlights").is_none());
    assert_eq!(body["results"][0]["summary"], "A summary of rust.");
    assert_eq!(body["costDollars"]["total"], 0.007);
    let (_, body) = post(&url, &exa.api_key(), &json!({"query":"rust","type":"fast"})).await;
    assert_eq!(body["results"][0]["score"], 0.41);
    let (status, body) = post(
        &url,
        &exa.api_key(),
        &json!({"query":"rust","type":"keyword"}),
    )
    .await;
    assert_eq!(
        (status, body["tag"].as_str()),
        (400, Some("INVALID_REQUEST_BODY"))
    );
}

#[tokio::test]
async fn exa_modes_queue_before_sticky() {
    let exa = FakeExa::start().await;
    let url = format!("{}/answer", exa.base_url());
    exa.set_mode(ExaPath::Answer, ExaMode::no_credits());
    exa.queue(
        ExaPath::Answer,
        ExaMode::RateLimited {
            retry_after: Some(1),
        },
    );
    let (status, body) = post(&url, &exa.api_key(), &json!({"query":"q"})).await;
    assert_eq!(status, 429);
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["error"]
    );
    let (status, body) = post(&url, &exa.api_key(), &json!({"query":"q"})).await;
    assert_eq!(
        (status, body["tag"].as_str()),
        (402, Some("NO_MORE_CREDITS"))
    );
    exa.set_mode(ExaPath::Answer, ExaMode::QuoteKey);
    let (_, body) = post(&url, &exa.api_key(), &json!({"query":"q"})).await;
    assert!(body["error"].as_str().unwrap().contains(&exa.api_key()));
    exa.set_mode(ExaPath::Answer, ExaMode::Ok);
    let (status, body) = post(&url, &exa.api_key(), &json!({"query":"q","text":false})).await;
    assert_eq!(status, 200);
    assert_eq!(body["answer"], "The fake answer about q.");
    assert!(body["citations"][0].get("text").is_none());
    assert_eq!(exa.requests().len(), 4);
}

#[tokio::test]
async fn exa_slow_mode_and_arrivals() {
    let exa = FakeExa::start().await;
    exa.set_mode(ExaPath::Search, ExaMode::Slow(Duration::from_millis(300)));
    let started = Instant::now();
    let (status, _) = post(
        &format!("{}/search", exa.base_url()),
        &exa.api_key(),
        &json!({"query":"q"}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let arrivals = exa.arrivals();
    assert_eq!(arrivals.len(), 1);
    assert_eq!(arrivals[0].path, "/search");
    assert!(arrivals[0].at >= started);
}

async fn get(url: &str) -> (u16, Option<String>, String) {
    let r = reqwest::Client::new().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, ct, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn searxng_modes() {
    let sx = FakeSearxng::start().await;
    let base = sx.base_url();
    let (status, _, body) = get(&format!("{base}/search?q=rust&format=json")).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 3);
    assert!(v["answers"][0].is_object());
    assert!(v.get("number_of_results").is_none());
    let (status, _, body) = get(&format!("{base}/search?q=&format=json")).await;
    assert_eq!((status, body.as_str()), (400, r#"{"error":"No query"}"#));
    sx.set_mode(SearxngMode::Legacy);
    let (_, _, body) = get(&format!("{base}/search?q=rust&format=json")).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["number_of_results"], 0);
    assert!(v["answers"][0].is_string());
    sx.set_mode(SearxngMode::JsonDisabled);
    let (status, ct, body) = get(&format!("{base}/search?q=rust&format=json")).await;
    assert_eq!(status, 403);
    assert!(ct.unwrap().starts_with("text/html"));
    assert!(body.contains("Forbidden"));
    sx.set_mode(SearxngMode::ServerError);
    let (status, _, body) = get(&format!("{base}/search?q=rust&format=json")).await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"error":"search error"}"#)
    );
}

#[tokio::test]
async fn pages_serve_the_documented_paths() {
    let pages = FakePages::start().await;
    let (status, ct, body) = get(&pages.url("/article.html")).await;
    assert_eq!((status, body.as_str()), (200, ARTICLE_HTML));
    assert!(ct.unwrap().starts_with("text/html"));
    let (_, ct, _) = get(&pages.url("/untyped.txt")).await;
    assert_eq!(ct, None);
    let (status, _, body) = get(&pages.url("/chain/3")).await;
    assert_eq!((status, body.as_str()), (200, ARTICLE_HTML));
    // Three redirects, then the article.
    assert_eq!(pages.requests().len(), 2 + 4);
    let (_, _, body) = get(&pages.url("/large?bytes=100000")).await;
    assert!(body.len() >= 100_000);
    let (status, _, _) = get(&pages.url("/status/404")).await;
    assert_eq!(status, 404);
    pages.set_page("/custom", "text/plain", "mine");
    let (_, _, body) = get(&pages.url("/custom")).await;
    assert_eq!(body, "mine");
}
