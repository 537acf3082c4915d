//! Exa failures: messages in Exa's words, the key never shown, retries bounded.

use std::time::{Duration, Instant};

use sybil_ports::outbound::{ExaApi, ExaSearchRequest, WebSearch};
use sybil_testkit::{ExaMode, ExaPath, FakeExa};

use crate::support::{exa, exa_with_timeout};

fn request() -> ExaSearchRequest {
    ExaSearchRequest {
        query: "q".into(),
        num_results: 3,
        ..ExaSearchRequest::default()
    }
}

#[tokio::test]
async fn a_wrong_key_is_exas_401_and_is_not_retried() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), "wrong-key-0000");
    let err = ExaApi::search(&client, &request()).await.unwrap_err();
    assert_eq!(err.message, "exa: HTTP 401: Invalid API key");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_body_quoting_the_key_is_redacted() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Answer, ExaMode::QuoteKey);
    let client = exa(&fake.base_url(), &fake.api_key());
    let err = client.answer("q").await.unwrap_err();
    assert!(!err.message.contains(&fake.api_key()), "{}", err.message);
    assert!(!format!("{err:?}").contains(&fake.api_key()));
    assert!(
        err.message
            .starts_with("exa: HTTP 400: Invalid request body | header x-api-key '[redacted]'"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn payment_errors_are_final() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Search, ExaMode::no_credits());
    let client = exa(&fake.base_url(), &fake.api_key());
    let err = WebSearch::search(&client, "q").await.unwrap_err();
    assert_eq!(err.message, "exa: HTTP 402: You have run out of credits");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let fake = FakeExa::start().await;
    fake.queue(
        ExaPath::Search,
        ExaMode::RateLimited {
            retry_after: Some(1),
        },
    );
    let client = exa(&fake.base_url(), &fake.api_key());
    let started = Instant::now();
    ExaApi::search(&client, &request()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_twice_then_reported() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Search, ExaMode::internal_error());
    let client = exa(&fake.base_url(), &fake.api_key());
    let err = ExaApi::search(&client, &request()).await.unwrap_err();
    assert_eq!(err.message, "exa: HTTP 500: Internal server error");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn rate_limit_message_when_retries_run_out() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Answer, ExaMode::RateLimited { retry_after: None });
    let client = exa(&fake.base_url(), &fake.api_key());
    let err = client.answer("q").await.unwrap_err();
    assert_eq!(
        err.message,
        "exa: HTTP 429: You've exceeded your Exa rate limit of 10 requests per second. Please slow down."
    );
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_proxy_html_page_is_quoted_short() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Search, ExaMode::Html { status: 403 });
    let client = exa(&fake.base_url(), &fake.api_key());
    let err = ExaApi::search(&client, &request()).await.unwrap_err();
    assert!(
        err.message
            .starts_with("exa: HTTP 403: 403 Gateway Error 403 Gateway Error An error occurred"),
        "{}",
        err.message
    );
    assert!(!err.message.contains('<'));
    assert!(err.message.chars().count() < 260, "{}", err.message);
}

#[tokio::test]
async fn malformed_json_is_an_invalid_response() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Search, ExaMode::Malformed);
    let client = exa(&fake.base_url(), &fake.api_key());
    let err = ExaApi::search(&client, &request()).await.unwrap_err();
    assert!(
        err.message
            .starts_with("exa: invalid response: the body is not JSON"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_slow_exa_times_out_once() {
    let fake = FakeExa::start().await;
    fake.set_mode(ExaPath::Search, ExaMode::Slow(Duration::from_secs(3)));
    let client = exa_with_timeout(
        &fake.base_url(),
        &fake.api_key(),
        Duration::from_millis(300),
    );
    let err = ExaApi::search(&client, &request()).await.unwrap_err();
    assert_eq!(err.message, "exa: timed out after 300ms");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_exa_is_a_connection_error() {
    // Bind then drop: the port is free and nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = exa(&format!("http://127.0.0.1:{port}"), "k-secret-1");
    let err = client.answer("q").await.unwrap_err();
    assert!(
        err.message.starts_with("exa: connection failed: "),
        "{}",
        err.message
    );
    assert!(!err.message.contains("k-secret-1"));
}

#[tokio::test]
async fn both_domain_lists_are_refused_without_a_request() {
    let fake = FakeExa::start().await;
    let client = exa(&fake.base_url(), &fake.api_key());
    let mut req = request();
    req.include_domains = vec!["a.org".into()];
    req.exclude_domains = vec!["b.org".into()];
    let err = ExaApi::search(&client, &req).await.unwrap_err();
    assert_eq!(
        err.message,
        "exa: includeDomains and excludeDomains cannot both be set"
    );
    assert!(fake.requests().is_empty());
}
