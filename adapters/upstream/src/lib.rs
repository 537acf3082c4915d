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

pub use body::{MAX_ERROR_BODY, read_capped};
pub use chain::{chain, find, is_timeout};
pub use client::{client_builder, header};
pub use policy::{
    BACKOFF, MAX_RETRIES, MAX_RETRY_AFTER, is_retryable_status, is_retryable_transport,
};
pub use retry_after::retry_after;
pub use send::{Failed, Target, send};
