//! The `/api` conversation shapes (COLLAB-API.md §2.2–§2.3, §6.2), snake_case
//! as RustyGPT's clients read them: defined once, so the HTTP adapter serves
//! and documents them, and the storage adapter records the stream's events
//! in the form the stream will send.

pub mod events;
pub mod names;
pub mod views;

pub use events::{blank_text, event_json};
pub use names::{ConversationRoleName, MessageRoleName, PresenceStatusName, ReplyStatusName};
pub use views::{MessageErrorBody, MessageView, ThreadSummaryView};
