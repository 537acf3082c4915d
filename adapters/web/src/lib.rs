//! The web tools' adapters: Exa (`ExaApi` and `WebSearch`), SearXNG (`WebSearch`) and the SSRF-guarded page fetcher (`PageFetcher`).
//!
//! Every failure leaves as a `ToolError` whose message is meant for the
//! model: the engine's own words, capped, and never an API key.

mod errors;
mod exa;
mod fetch;
mod html_text;
mod redact;
mod searxng;
mod setup;
mod snippet;

pub use exa::{ExaClient, ExaSettings};
pub use fetch::guard::{AddressKind, classify, is_forbidden};
pub use fetch::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT, FetchSettings, HttpPageFetcher,
};
pub use searxng::SearxngClient;
pub use setup::SetupError;
