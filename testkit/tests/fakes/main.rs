//! The fakes speak each provider's wire format, checked with a plain HTTP client.

mod anthropic;
mod helpers;
mod openai;
mod transport;
mod xai;
