//! The real web adapters against the testkit's fake Exa, SearXNG and website on 127.0.0.1.

mod exa;
mod exa_errors;
mod fetch;
mod searxng;
mod ssrf;
mod support;
