//! Sybil's domain: the types every layer shares and the pure policies that
//! decide what is valid. No I/O, no async runtime, no clock or RNG reads:
//! time and ids come in as arguments.

pub mod account;
pub mod attachment;
pub mod chat;
pub mod completion;
pub mod conversation;
pub mod devbox;
pub mod history;
pub mod json_input;
pub mod llm_call;
pub mod message;
pub mod nul;
pub mod pagination;
pub mod provider;
pub mod rate_limit;
pub mod role;
pub mod search;
pub mod secret;
pub mod storage_retry;
pub mod time;
pub mod title;
pub mod tool_loop;
pub mod usage;

pub use attachment::{Attachment, AttachmentError, AttachmentInput};
pub use chat::{Chat, ChatRuleError, ModelChoice};
pub use llm_call::{CallStatus, LlmCall, ReplyRef};
pub use message::{Message, MessageError, MessageInput};
pub use provider::Provider;
pub use role::Role;
pub use secret::Secret;
pub use time::Timestamp;
pub use usage::Usage;
