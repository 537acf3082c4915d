//! The SSRF guard end to end: every spelling of an internal address refused by default, allowed with the flag, redirects and names re-checked.
//!
//! All fakes live on loopback, so guarded tests that need an allowed first
//! hop exempt that one fake's exact `ip:port` (`with_exempt_peers`); any
//! other loopback port, and every name, stays refused.

use sybil_ports::outbound::PageFetcher;
use sybil_testkit::FakePages;

use crate::support::{guarded_fetcher, open_fetcher};

/// Spellings of loopback on the fake's port; the `url` crate makes them all 127.0.0.1.
fn loopback_spellings(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f.1",
        "0x7f000001",
        "017700000001",
        "127.1",
        "127.0.1",
        "%31%32%37.0.0.1",
        "localhost",
        "LocalHost",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}/article.html"))
    .collect()
}

#[tokio::test]
async fn every_spelling_of_an_internal_address_is_refused_by_default() {
    let pages = FakePages::start().await;
    let port = pages.addr().port();
    let mut urls = loopback_spellings(port);
    // Never connected to: refused before any packet leaves.
    urls.extend([
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://[::127.0.0.1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://0:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::ffff:169.254.169.254]/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://172.16.0.1/".to_string(),
        "http://192.168.1.1/".to_string(),
        "http://100.64.0.1/".to_string(),
        "http://[fe80::1]/".to_string(),
        "http://[fd00::1]/".to_string(),
        "http://224.0.0.1/".to_string(),
        "http://255.255.255.255/".to_string(),
        // The host's own address may be one meant for documentation.
        "http://192.0.2.10/".to_string(),
        "http://198.51.100.1/".to_string(),
        "http://203.0.113.1/".to_string(),
        "http://198.18.0.1/".to_string(),
        "http://240.0.0.1/".to_string(),
        "http://[2001:db8::1]/".to_string(),
        "http://[::ffff:192.0.2.10]/".to_string(),
        "http://[64:ff9b::192.0.2.10]/".to_string(),
        "http://[2002:c000:20a::1]/".to_string(),
        "http://[2001::1]/".to_string(),
    ]);
    let f = guarded_fetcher(&[]);
    for url in &urls {
        let err = f.fetch(url).await.expect_err(url);
        assert!(
            err.message.starts_with("refused to fetch "),
            "{url}: {}",
            err.message
        );
        assert!(
            err.message.contains(
                "fetch_url does not reach loopback, private, link-local or other internal addresses"
            ),
            "{url}: {}",
            err.message
        );
    }
    assert!(
        pages.requests().is_empty(),
        "a refused fetch reached the fake"
    );
}

#[tokio::test]
async fn messages_say_what_was_refused() {
    let f = guarded_fetcher(&[]);
    let err = f.fetch("http://0x7f.1:8080/x").await.unwrap_err();
    assert!(
        err.message.starts_with(
            "refused to fetch http://127.0.0.1:8080/x: 127.0.0.1 is a loopback address;"
        ),
        "{}",
        err.message
    );
    let err = f
        .fetch("http://169.254.169.254/latest/meta-data/")
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("169.254.169.254 is a link-local address"),
        "{}",
        err.message
    );
    let err = f.fetch("http://[::ffff:10.0.0.1]/").await.unwrap_err();
    assert!(
        err.message.contains("::ffff:10.0.0.1 is a private address"),
        "{}",
        err.message
    );
    let err = f.fetch("http://localhost:9/").await.unwrap_err();
    assert!(
        err.message.starts_with("refused to fetch http://localhost:9/: localhost resolves only to internal addresses (127.0.0.1: a loopback address"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn every_loopback_spelling_is_fetched_with_the_flag() {
    let pages = FakePages::start().await;
    let f = open_fetcher();
    for url in loopback_spellings(pages.addr().port()) {
        let page = f
            .fetch(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {}", e.message));
        assert!(page.text.starts_with("Fake Article"), "{url}");
    }
}

#[tokio::test]
async fn an_exempt_peer_is_fetched_but_a_redirect_to_another_loopback_port_is_refused() {
    let allowed = FakePages::start().await;
    let other = FakePages::start().await;
    let f = guarded_fetcher(&[allowed.addr()]);

    assert!(f.fetch(&allowed.url("/article.html")).await.is_ok());
    assert!(f.fetch(&allowed.url("/chain/2")).await.is_ok());

    let target = other.url("/article.html");
    let err = f
        .fetch(&allowed.url(&format!("/redirect?to={target}")))
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with(&format!(
            "refused to follow the redirect to {target}: 127.0.0.1 is a loopback address;"
        )),
        "{}",
        err.message
    );
    assert!(other.requests().is_empty(), "the refused hop was requested");
}

#[tokio::test]
async fn redirect_hops_are_rechecked_in_every_spelling() {
    let allowed = FakePages::start().await;
    let other = FakePages::start().await;
    let port = other.addr().port();
    let f = guarded_fetcher(&[allowed.addr()]);
    for to in [
        format!("http://0x7f.1:{port}/article.html"),
        format!("http://2130706433:{port}/article.html"),
        format!("http://[::ffff:127.0.0.1]:{port}/article.html"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.1.2.3/".to_string(),
    ] {
        let err = f
            .fetch(&allowed.url(&format!("/redirect?to={to}")))
            .await
            .expect_err(&to);
        assert!(
            err.message
                .starts_with("refused to follow the redirect to "),
            "{to}: {}",
            err.message
        );
    }
    assert!(other.requests().is_empty());
}

#[tokio::test]
async fn a_redirect_to_a_name_is_judged_by_what_it_resolves_to() {
    let allowed = FakePages::start().await;
    let f = guarded_fetcher(&[allowed.addr()]);
    // Same port as the exempt fake, but a name: the resolver refuses it.
    let to = format!("http://localhost:{}/article.html", allowed.addr().port());
    let err = f
        .fetch(&allowed.url(&format!("/redirect?to={to}")))
        .await
        .unwrap_err();
    // reqwest reports the URL first asked for; the reason names the host.
    let asked = allowed.url(&format!("/redirect?to={to}"));
    assert!(
        err.message.starts_with(&format!(
            "refused to fetch {asked}: localhost resolves only to internal addresses"
        )),
        "{}",
        err.message
    );
    assert_eq!(
        allowed.requests().len(),
        1,
        "only the first hop reached the fake"
    );
}

#[tokio::test]
async fn with_the_flag_redirects_to_loopback_are_followed() {
    let first = FakePages::start().await;
    let second = FakePages::start().await;
    let target = second.url("/article.html");
    let page = open_fetcher()
        .fetch(&first.url(&format!("/redirect?to={target}")))
        .await
        .unwrap();
    assert_eq!(page.url, target);
    assert_eq!(second.requests().len(), 1);
}
