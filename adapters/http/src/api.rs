//! The API operations, one `#[OpenApi]` struct per resource; every method of
//! a path lives in one struct.

mod chats;
mod completions;
mod health;
mod metrics;
mod openai;
mod resumable;
mod searches;
mod session;
mod stream;

pub use chats::ChatsApi;
pub use completions::CompletionsApi;
pub use health::HealthApi;
pub use metrics::MetricsApi;
pub use openai::OpenAiApi;
pub use resumable::ResumableApi;
pub use searches::SearchesApi;
pub use session::SessionApi;
pub use stream::StreamApi;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness, readiness and metrics.
    Health,
    /// Authentication mode and session.
    Auth,
    /// Chats and their transcripts.
    Chats,
    /// Chat completions over the providers.
    Completions,
    /// The providers' models.
    Models,
    /// Exa searches and answers.
    Searches,
    /// The OpenAI-compatible surface: OpenAI's wire format, for OpenAI SDKs.
    #[oai(rename = "OpenAI")]
    OpenAi,
}
