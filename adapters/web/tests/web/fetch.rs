//! Fetching: readable text, content types, limits, redirects, HTTP errors, bad URLs.

use std::time::Duration;

use sybil_ports::outbound::PageFetcher;
use sybil_testkit::{FakePages, JSON_DATA, PLAIN_TEXT};
use sybil_web::FetchSettings;

use crate::support::{fetcher, open_fetcher};

fn open(settings: FetchSettings) -> FetchSettings {
    FetchSettings {
        allow_private_networks: true,
        ..settings
    }
}

#[tokio::test]
async fn html_becomes_readable_text_without_code() {
    let pages = FakePages::start().await;
    let page = open_fetcher()
        .fetch(&pages.url("/article.html"))
        .await
        .unwrap();
    assert_eq!(page.url, pages.url("/article.html"));
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        page.text,
        "Fake Article & Friends\n\n\
         The Headline\n\n\
         First paragraph with bold and a link.\n\n\
         Second paragraph, over two lines <with brackets> — café.\n\n\
         - one\n- two"
    );
    for code in ["secret", "color", "noscript", "template", "svg", "import"] {
        assert!(!page.text.contains(code), "{code} leaked: {}", page.text);
    }
}

#[tokio::test]
async fn text_and_json_come_back_as_is() {
    let pages = FakePages::start().await;
    let f = open_fetcher();
    assert_eq!(
        f.fetch(&pages.url("/plain.txt")).await.unwrap().text,
        PLAIN_TEXT
    );
    let json = f.fetch(&pages.url("/data.json")).await.unwrap();
    assert_eq!(
        (json.text.as_str(), json.content_type.as_deref()),
        (JSON_DATA, Some("application/json"))
    );
    assert_eq!(
        f.fetch(&pages.url("/latin1.txt")).await.unwrap().text,
        "café"
    );
    let untyped = f.fetch(&pages.url("/untyped.txt")).await.unwrap();
    assert_eq!(
        (untyped.text.as_str(), untyped.content_type),
        ("no content type, just words", None)
    );
}

#[tokio::test]
async fn binary_content_is_refused() {
    let pages = FakePages::start().await;
    let f = open_fetcher();
    let err = f.fetch(&pages.url("/image.png")).await.unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "unsupported content type image/png from {}: only HTML and text pages can be read",
            pages.url("/image.png")
        )
    );
    let err = f.fetch(&pages.url("/untyped.bin")).await.unwrap_err();
    assert!(
        err.message
            .starts_with("unsupported content type (none, binary data) from"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn the_body_is_cut_at_max_bytes() {
    let pages = FakePages::start().await;
    let f = fetcher(open(FetchSettings {
        max_bytes: 100_000,
        ..FetchSettings::default()
    }));
    let page = f.fetch(&pages.url("/large?bytes=5000000")).await.unwrap();
    let note =
        "\n\n[cut: the page is larger than 100000 bytes; only the first 100000 bytes were read]";
    assert!(
        page.text.ends_with(note),
        "{}",
        &page.text[page.text.len() - 200..]
    );
    assert_eq!(page.text.len(), 100_000 + note.len());
}

#[tokio::test]
async fn a_body_within_the_limit_is_not_marked() {
    let pages = FakePages::start().await;
    let f = fetcher(open(FetchSettings {
        max_bytes: 100_000,
        ..FetchSettings::default()
    }));
    let page = f.fetch(&pages.url("/large?bytes=16000")).await.unwrap();
    assert!(!page.text.contains("[cut"));
}

#[tokio::test]
async fn slow_headers_time_out() {
    let pages = FakePages::start().await;
    let f = fetcher(open(FetchSettings {
        timeout: Duration::from_millis(300),
        ..FetchSettings::default()
    }));
    let url = pages.url("/slow?ms=3000");
    let err = f.fetch(&url).await.unwrap_err();
    assert_eq!(err.message, format!("timed out after 300ms fetching {url}"));
}

#[tokio::test]
async fn a_slow_body_times_out() {
    let pages = FakePages::start().await;
    let f = fetcher(open(FetchSettings {
        timeout: Duration::from_millis(500),
        ..FetchSettings::default()
    }));
    let url = pages.url("/drip?ms=200&chunks=20");
    let err = f.fetch(&url).await.unwrap_err();
    assert_eq!(err.message, format!("timed out after 500ms reading {url}"));
}

#[tokio::test]
async fn http_errors_name_status_and_url() {
    let pages = FakePages::start().await;
    let url = pages.url("/status/404");
    let err = open_fetcher().fetch(&url).await.unwrap_err();
    assert_eq!(err.message, format!("HTTP 404 Not Found from {url}"));
    let err = open_fetcher()
        .fetch(&pages.url("/status/503"))
        .await
        .unwrap_err();
    assert!(err.message.starts_with("HTTP 503 Service Unavailable from"));
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit() {
    let pages = FakePages::start().await;
    let f = fetcher(open(FetchSettings {
        max_redirects: 5,
        ..FetchSettings::default()
    }));
    let page = f.fetch(&pages.url("/chain/5")).await.unwrap();
    assert_eq!(page.url, pages.url("/article.html"));
    assert!(page.text.starts_with("Fake Article"));

    let err = f.fetch(&pages.url("/chain/6")).await.unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "refused to follow the redirect to {}: more than 5 redirects",
            pages.url("/article.html")
        )
    );
}

#[tokio::test]
async fn redirects_to_other_schemes_are_refused() {
    let pages = FakePages::start().await;
    let err = open_fetcher()
        .fetch(&pages.url("/redirect?to=file:///etc/passwd"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "refused to follow the redirect to file:///etc/passwd: the scheme \"file\" is not allowed: \
         only http and https URLs can be fetched"
    );
}

#[tokio::test]
async fn bad_urls_and_schemes_are_named() {
    let f = open_fetcher();
    let err = f.fetch("not a url").await.unwrap_err();
    assert_eq!(
        err.message,
        "cannot fetch \"not a url\": not a valid absolute URL (relative URL without a base); \
         only http and https URLs can be fetched"
    );
    let err = f.fetch("ftp://example.com/file").await.unwrap_err();
    assert_eq!(
        err.message,
        "refused to fetch ftp://example.com/file: the scheme \"ftp\" is not allowed: only http and https URLs can be fetched"
    );
    let err = f.fetch("file:///etc/passwd").await.unwrap_err();
    assert!(err.message.contains("the scheme \"file\" is not allowed"));
    let err = f.fetch("http://[::1").await.unwrap_err();
    assert!(
        err.message
            .starts_with("cannot fetch \"http://[::1\": not a valid absolute URL")
    );
}
