//! Ports the HTTP layer drives: the use cases.

pub mod chats;
pub mod completions;
pub mod models;

pub use chats::{ChatError, ChatUseCases, CreateChat};
pub use completions::{CompletionCommand, CompletionError, CompletionOutcome, CompletionUseCases};
pub use models::{ModelList, ModelUseCases};
