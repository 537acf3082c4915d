//! `HttpPageFetcher`: the `fetch_url` tool — http(s) only, SSRF-guarded, redirects re-checked, body bounded, HTML made readable.

mod body;
mod content;
pub(crate) mod guard;
mod redirect;
mod resolver;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE};
use sybil_ports::outbound::{FetchedPage, PageFetcher, ToolError};
use sybil_upstream::{chain, find, is_timeout};
use tracing::Instrument;
use tracing::field::Empty;
use url::Url;

use crate::errors::human;
use crate::html_text;
use crate::setup::{SetupError, USER_AGENT};
use content::Kind;
use guard::{Guard, Refusal};
use redirect::RedirectRefused;
use resolver::GuardedResolver;

/// Bytes of a body read at most (2 MiB).
pub const DEFAULT_MAX_BYTES: usize = 2 * 1024 * 1024;
/// Redirects followed at most.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;
/// The whole fetch, connect to last byte, when nothing else is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The fetcher's limits and its one switch (`FETCH_ALLOW_PRIVATE_NETWORKS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// Let fetches reach loopback, private, link-local and other internal addresses.
    pub allow_private_networks: bool,
    /// The whole fetch, redirects included.
    pub timeout: Duration,
    /// Bytes of body read; the rest is cut (and the text says so).
    pub max_bytes: usize,
    pub max_redirects: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            allow_private_networks: false,
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }
}

/// Fetches pages for the model; cheap to share (`Arc`).
#[derive(Debug, Clone)]
pub struct HttpPageFetcher {
    http: reqwest::Client,
    guard: Arc<Guard>,
    settings: FetchSettings,
}

impl HttpPageFetcher {
    /// # Errors
    /// When the HTTP client cannot start (TLS backend).
    pub fn new(settings: FetchSettings) -> Result<Self, SetupError> {
        Self::with_exempt_peers(settings, [])
    }

    /// Like [`HttpPageFetcher::new`], with exact `ip:port` pairs let through
    /// the guard although internal. For tests whose fake servers all live on
    /// loopback, so that a guarded fetch can start at an allowed fake and be
    /// redirected to a refused address. Applies to IP-literal URLs only:
    /// a name is always judged by what it resolves to.
    ///
    /// # Errors
    /// As for `new`.
    pub fn with_exempt_peers(
        settings: FetchSettings,
        exempt: impl IntoIterator<Item = SocketAddr>,
    ) -> Result<Self, SetupError> {
        let guard = Arc::new(Guard::new(
            settings.allow_private_networks,
            exempt.into_iter().collect(),
        ));
        let mut builder = sybil_upstream::client_builder(settings.timeout, USER_AGENT)
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .redirect(redirect::policy(guard.clone(), settings.max_redirects))
            .timeout(settings.timeout);
        if !settings.allow_private_networks {
            builder = builder.dns_resolver(GuardedResolver::new(guard.clone()));
        }
        let http = builder
            .build()
            .map_err(|e| SetupError::new("fetch_url", e.to_string()))?;
        Ok(HttpPageFetcher {
            http,
            guard,
            settings,
        })
    }

    async fn get(&self, url: &Url) -> Result<FetchedPage, ToolError> {
        let mut response = self
            .http
            .get(url.clone())
            .header(
                ACCEPT,
                "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5",
            )
            .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9")
            .send()
            .await
            .map_err(|e| self.send_error(url, &e))?;
        let final_url = response.url().clone();
        let status = response.status();
        tracing::Span::current().record("status", status.as_u16());
        if status.is_redirection() {
            return Err(self.unfollowed(&response));
        }
        if !status.is_success() {
            return Err(ToolError::new(format!("HTTP {status} from {final_url}")));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut kind = content::kind(content_type.as_deref());
        if kind == Kind::Binary {
            return Err(unsupported(content_type.as_deref(), &final_url));
        }
        let body = body::read(&mut response, self.settings.max_bytes)
            .await
            .map_err(|e| self.read_error(&final_url, &e))?;
        tracing::Span::current().record("bytes", body.bytes.len());
        if kind == Kind::Unknown {
            kind = content::sniff(&body.bytes);
            if kind == Kind::Binary {
                return Err(unsupported(content_type.as_deref(), &final_url));
            }
        }
        let raw = content::decode(&body.bytes, content_type.as_deref(), body.cut);
        let mut text = match kind {
            Kind::Html => html_text::to_text(&raw),
            _ => raw,
        };
        if body.cut {
            let max = self.settings.max_bytes;
            text.push_str(&format!(
                "\n\n[cut: the page is larger than {max} bytes; only the first {max} bytes were read]"
            ));
        }
        Ok(FetchedPage {
            url: final_url.to_string(),
            content_type,
            text,
        })
    }

    /// A redirect that came back as the answer: reqwest does not even ask
    /// the policy about a `Location` that is no http(s) URL (`file:`,
    /// `gopher:`), or the status had no `Location`.
    fn unfollowed(&self, response: &reqwest::Response) -> ToolError {
        let from = response.url();
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| from.join(l).ok());
        match location {
            Some(to) => match self.guard.check_url(&to) {
                Err(refusal) => ToolError::new(
                    RedirectRefused {
                        to: to.to_string(),
                        refusal,
                    }
                    .to_string(),
                ),
                Ok(()) => ToolError::new(format!(
                    "HTTP {status} from {from}: the redirect to {to} was not followed"
                )),
            },
            None => ToolError::new(format!("HTTP {status} from {from}")),
        }
    }

    /// A request that got no answer: refused by the guard (a redirect hop
    /// or a resolved name), the deadline, or the network.
    fn send_error(&self, url: &Url, error: &reqwest::Error) -> ToolError {
        if let Some(refused) = find::<RedirectRefused>(error) {
            return ToolError::new(refused.to_string());
        }
        let at = error.url().unwrap_or(url);
        if let Some(refusal) = find::<Refusal>(error) {
            return ToolError::new(format!("refused to fetch {at}: {refusal}"));
        }
        if is_timeout(error) {
            return ToolError::new(format!(
                "timed out after {} fetching {at}",
                human(self.settings.timeout)
            ));
        }
        ToolError::new(format!("could not fetch {at}: {}", chain(error)))
    }

    fn read_error(&self, url: &Url, error: &reqwest::Error) -> ToolError {
        if is_timeout(error) {
            return ToolError::new(format!(
                "timed out after {} reading {url}",
                human(self.settings.timeout)
            ));
        }
        ToolError::new(format!("could not read {url}: {}", chain(error)))
    }
}

fn unsupported(content_type: Option<&str>, url: &Url) -> ToolError {
    let what = content_type.map_or_else(|| "(none, binary data)".to_string(), content::essence);
    ToolError::new(format!(
        "unsupported content type {what} from {url}: only HTML and text pages can be read"
    ))
}

#[async_trait]
impl PageFetcher for HttpPageFetcher {
    async fn fetch(&self, url: &str) -> Result<FetchedPage, ToolError> {
        let input = url.trim();
        let parsed = Url::parse(input).map_err(|e| {
            ToolError::new(format!(
                "cannot fetch {input:?}: not a valid absolute URL ({e}); only http and https URLs can be fetched"
            ))
        })?;
        if let Err(refusal) = self.guard.check_url(&parsed) {
            return Err(ToolError::new(format!(
                "refused to fetch {parsed}: {refusal}"
            )));
        }
        // The host only: a path or query may carry tokens.
        let span = tracing::info_span!(
            "fetch_url",
            host = parsed.host_str().unwrap_or(""),
            status = Empty,
            bytes = Empty,
            latency_ms = Empty,
        );
        let started = Instant::now();
        let result = self.get(&parsed).instrument(span.clone()).await;
        span.record(
            "latency_ms",
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        if let Err(error) = &result {
            tracing::info!(parent: &span, error = %error.message, "fetch_url failed");
        }
        result
    }
}
