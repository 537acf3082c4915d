//! How Sybil calls an upstream HTTP API, shared by the LLM and web adapters.
//!
//! The retry policy (`policy`), the `Retry-After` header in its three forms
//! (`retry_after`), capped error bodies (`body`), error chains (`chain`), the
//! pooled client's timeouts (`client`) and the loop that applies them
//! (`send`). It knows no port: each adapter maps a `Failed` to its own
//! error type, in its own words.

mod body;
mod chain;
mod client;
mod policy;
mod retry_after;
mod send;

pub use chain::{chain, find, is_timeout};
pub use client::{client_builder, header};
pub use send::{Failed, Target, send};
