//! Table models, private to the adapter: the rest of Sybil sees only domain types.

pub(crate) mod chats;
pub(crate) mod completion_events;
pub(crate) mod completion_jobs;
pub(crate) mod llm_calls;
pub(crate) mod messages;
pub(crate) mod oauth_states;
pub(crate) mod search_results;
pub(crate) mod searches;
pub(crate) mod sessions;
pub(crate) mod user_identities;
pub(crate) mod users;
