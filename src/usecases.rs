//! Use cases: the inbound ports implemented over the outbound ones.

pub mod accounts;
pub mod chats;
pub mod completions;
pub mod conversations;
pub mod models;
mod prompt;
pub mod providers;
pub mod rate_limits;
pub mod searches;
pub mod tools;

pub use accounts::AccountService;
pub use chats::ChatService;
pub use completions::CompletionService;
pub use models::ModelCatalog;
pub use providers::Providers;
pub use rate_limits::RateLimitService;
pub use searches::SearchService;
