//! `LlmProvider` adapters for OpenAI (Responses), xAI (Chat Completions), Anthropic (Messages).
//!
//! OpenAI and xAI go through async-openai's BYOT API (`serde_json::Value`
//! requests and responses), with our own tower transport plugged in
//! (`transport.rs`) so that retries, timeouts, request ids and error bodies
//! follow Sybil's policy rather than the SDK's. Anthropic uses reqwest
//! directly. Every stream is read by `sse`, in the reader's own task.

mod anthropic;
mod attachments;
mod error;
mod openai;
mod redact;
mod retry;
mod settings;
mod sse;
mod stream;
mod transport;
mod xai;

pub use anthropic::AnthropicProvider;
pub use openai::OpenAiProvider;
pub use settings::{ProviderSettings, SetupError};
pub use xai::XaiProvider;
