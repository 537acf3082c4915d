//! Ports the use cases call out through.

pub mod accounts;
pub mod clock;
pub mod conversations;
pub mod identity;
pub mod jobs;
pub mod llm;
pub mod rate_limits;
pub mod raw_json;
pub mod searches;
pub mod secrets;
pub mod storage;
pub mod tools;
pub mod wakeups;

pub use accounts::{
    AccountStore, AccountWriteError, IdentityLink, StoredSession, TakenField, UserChange,
    UserUpdate,
};
pub use clock::{Clock, IdGenerator};
pub use conversations::{
    AcceptOutcome, ConversationEvent, ConversationStore, DeleteOutcome, EditOutcome, EventBatch,
    FinishReason, MembershipAction, MessageAction, MessageChunk, NewPost, NewReply, RemoveOutcome,
    ReplyEnd, SetRoleOutcome, StoredEvent, StoredInvite,
};
pub use identity::{ExternalIdentity, IdentityError, IdentityProvider};
pub use jobs::{CompletionJob, JobStatus, JobStore, RecordedEvent};
pub use llm::{
    LlmError, LlmFailure, LlmProvider, LlmRequest, LlmResponse, LlmStreamEvent, PromptMessage,
    PromptRole, ToolCall, ToolRound, ToolSpec, Usage,
};
pub use rate_limits::{
    Assigned, BucketsUnavailable, NewAssignment, ProfileDeletion, RateBuckets, RateLimitStore,
};
pub use raw_json::RawJson;
pub use searches::SearchRepository;
pub use secrets::{PasswordHasher, TokenSource};
pub use storage::{CallLog, ChatRepository, ChatWithMessages, StorageError};
pub use tools::{
    ExaAnswerResponse, ExaApi, ExaSearchRequest, ExaSearchResponse, ExecOutput, FetchedPage,
    PageFetcher, RemoteShell, SearchHit, ToolError, WebSearch,
};
pub use wakeups::{Topic, Wakeup, Wakeups};
