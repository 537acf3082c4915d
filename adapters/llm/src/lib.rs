//! `LlmProvider` adapters for OpenAI (Responses), xAI (Chat Completions), Anthropic (Messages).
//!
//! OpenAI and xAI go through async-openai (`sdk`): its typed requests, its
//! client, its errors mapped once. Anthropic uses reqwest directly. Every
//! call goes out under the retry policy shared with the web adapter
//! (`upstream`, over `sybil_upstream`), and every stream is read by `sse`,
//! in the reader's own task.

mod anthropic;
mod attachments;
mod error;
mod openai;
mod redact;
mod sdk;
mod settings;
mod sse;
mod stream;
mod tool_json;
mod upstream;
mod xai;

pub use anthropic::AnthropicProvider;
pub use openai::OpenAiProvider;
pub use settings::{ProviderSettings, SetupError};
pub use xai::XaiProvider;
