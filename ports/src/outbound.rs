//! Ports the use cases call out through.

pub mod clock;
pub mod llm;
pub mod storage;

pub use clock::{Clock, IdGenerator};
pub use llm::{
    LlmError, LlmFailure, LlmProvider, LlmRequest, LlmResponse, LlmStreamEvent, PromptMessage,
    PromptRole, ToolCall, ToolRound, ToolSpec, Usage,
};
pub use storage::{CallLog, ChatRepository, ChatWithMessages, StorageError};
