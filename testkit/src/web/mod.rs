//! Dev-only fakes of the web tools' peers on 127.0.0.1: Exa, SearXNG, and an ordinary website.

mod exa;
mod exa_data;
mod pages;
mod reply;
mod searxng;
#[cfg(test)]
mod tests;

pub use exa::{ExaMode, ExaPath, FakeExa};
pub use pages::{ARTICLE_HTML, FakePages, JSON_DATA, PLAIN_TEXT, PNG_BYTES};
pub use searxng::{FakeSearxng, SearxngMode};
