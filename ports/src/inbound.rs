//! Ports the HTTP layer drives: the use cases.

pub mod accounts;
pub mod chats;
pub mod completions;
pub mod conversations;
pub mod jobs;
pub mod models;
pub mod rate_limits;
pub mod readiness;
pub mod searches;

pub use accounts::{
    AccountError, AccountUseCases, Caller, CsrfFailure, EditUser, IssuedSession, Login, NewUser,
    OAuthError, OAuthReturn, OAuthStart, RouteAccess, SignedIn, UserPage,
};
pub use chats::{ChatError, ChatUseCases, CreateChat};
pub use completions::{
    CompletionCommand, CompletionError, CompletionEvent, CompletionOutcome, CompletionUseCases,
    StreamMeta, ToolCallEvent,
};
pub use conversations::{
    CancelOutcome, ConversationDetail, ConversationError, ConversationPage, ConversationUseCases,
    IssuedInvite, NewConversation, NewInvite, NewMessage, Posted, ShownParticipant, StreamItem,
    ThreadPage, TreePage,
};
pub use jobs::{JobError, ResumableCompletions};
pub use models::{ModelList, ModelUseCases};
pub use rate_limits::{
    AssignmentInput, LimitVerdict, ProfileInput, RateLimitError, RateLimitUseCases,
};
pub use readiness::ReadinessCheck;
pub use searches::{RunSearch, SearchError, SearchUseCases};
