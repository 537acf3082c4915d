//! Builders shared by the test modules.

use std::net::SocketAddr;
use std::time::Duration;

use sybil_domain::Secret;
use sybil_web::{ExaClient, ExaSettings, FetchSettings, HttpPageFetcher};

pub fn exa(base_url: &str, key: &str) -> ExaClient {
    exa_with_timeout(base_url, key, Duration::from_secs(10))
}

pub fn exa_with_timeout(base_url: &str, key: &str, timeout: Duration) -> ExaClient {
    ExaClient::new(ExaSettings {
        api_key: Secret::new(key),
        base_url: base_url.to_string(),
        timeout,
    })
    .expect("exa client")
}

/// Private networks allowed: every fake lives on loopback.
pub fn open_fetcher() -> HttpPageFetcher {
    HttpPageFetcher::new(FetchSettings {
        allow_private_networks: true,
        ..FetchSettings::default()
    })
    .expect("fetcher")
}

pub fn fetcher(settings: FetchSettings) -> HttpPageFetcher {
    HttpPageFetcher::new(settings).expect("fetcher")
}

/// The default guard, with only `exempt` let through.
pub fn guarded_fetcher(exempt: &[SocketAddr]) -> HttpPageFetcher {
    HttpPageFetcher::with_exempt_peers(FetchSettings::default(), exempt.iter().copied())
        .expect("fetcher")
}
