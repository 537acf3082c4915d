//! A DNS resolver that hands reqwest only the addresses the guard allows, so the address checked is the address connected to.
//!
//! Checking a name before the request and letting the connector resolve it
//! again would leave a window for DNS rebinding; here there is one lookup.
//! IP-literal hosts never reach a resolver (the connector parses them), so
//! the URL check covers those.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::guard::Guard;

/// The system resolver (getaddrinfo, on tokio's blocking pool), filtered by `guard`.
pub(crate) struct GuardedResolver {
    guard: Arc<Guard>,
}

impl GuardedResolver {
    pub(crate) fn new(guard: Arc<Guard>) -> Self {
        GuardedResolver { guard }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port in afterwards.
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = guard.filter_resolved(&host, found)?;
            tracing::debug!(host = %host, addresses = ?allowed, "resolved for fetch_url");
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}
