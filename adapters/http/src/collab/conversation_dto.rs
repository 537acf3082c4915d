//! The `/api` conversation shapes of requests and answers (§2.2, §4.5–§4.9);
//! messages and thread summaries are `sybil_wire::collab`'s, which the
//! stream's events use too.

use poem_openapi::Object;
use serde::Deserialize;
use sybil_domain::conversation::model::Membership;
use sybil_ports::inbound::ShownParticipant;
use sybil_ports::outbound::MessageChunk;
use sybil_wire::collab::{
    ConversationRoleName, MessageView, PresenceStatusName, ThreadSummaryView,
};
use sybil_wire::time::iso;
use sybil_wire::{ProviderName, RoleName, provider_name};

#[derive(Debug, Object)]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    pub is_group: bool,
    /// The caller's role.
    pub role: ConversationRoleName,
    pub created_by: String,
    pub created_at: String,
    /// The newest message's `created_at`, else `created_at`.
    pub last_activity_at: String,
    /// Active participants.
    pub participant_count: u64,
    /// The conversation's reply defaults.
    #[oai(skip_serializing_if_is_none)]
    pub provider: Option<ProviderName>,
    #[oai(skip_serializing_if_is_none)]
    pub model: Option<String>,
}

impl From<&Membership> for ConversationSummary {
    fn from(m: &Membership) -> ConversationSummary {
        let c = &m.conversation;
        ConversationSummary {
            id: c.id.to_string(),
            title: c.title.clone(),
            is_group: c.is_group,
            role: m.role.into(),
            created_by: c.created_by.to_string(),
            created_at: iso(c.created_at),
            last_activity_at: iso(c.last_activity_at),
            participant_count: m.participant_count,
            provider: c.defaults.as_ref().map(|(p, _)| provider_name(*p)),
            model: c.defaults.as_ref().map(|(_, m)| m.clone()),
        }
    }
}

#[derive(Debug, Object)]
pub struct Presence {
    pub status: PresenceStatusName,
    /// Absent while the user has never been seen.
    #[oai(skip_serializing_if_is_none)]
    pub last_seen_at: Option<String>,
}

#[derive(Debug, Object)]
pub struct Participant {
    pub user_id: String,
    pub username: String,
    #[oai(skip_serializing_if_is_none)]
    pub display_name: Option<String>,
    pub role: ConversationRoleName,
    pub joined_at: String,
    pub presence: Presence,
}

impl From<&ShownParticipant> for Participant {
    fn from(s: &ShownParticipant) -> Participant {
        let p = &s.participant;
        Participant {
            user_id: p.user_id.to_string(),
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            role: p.role.into(),
            joined_at: iso(p.joined_at),
            presence: Presence {
                status: s.status.into(),
                last_seen_at: p.presence.last_seen_at.map(iso),
            },
        }
    }
}

/// `ConversationSummary`'s fields, then the active participants by `joined_at`.
#[derive(Debug, Object)]
pub struct ConversationDetail {
    #[oai(flatten)]
    pub summary: ConversationSummary,
    pub participants: Vec<Participant>,
}

#[derive(Debug, Object)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object, Deserialize)]
pub struct CreateConversationRequest {
    pub title: String,
    /// Default false.
    pub is_group: Option<bool>,
    /// The reply defaults: both or neither.
    pub provider: Option<ProviderName>,
    pub model: Option<String>,
}

#[derive(Debug, Object)]
pub struct CreatedConversation {
    pub conversation_id: String,
}

#[derive(Debug, Object, Deserialize)]
pub struct AddParticipantRequest {
    pub user_id: String,
    pub role: ConversationRoleName,
}

#[derive(Debug, Object, Deserialize)]
pub struct CreateInviteRequest {
    pub role: ConversationRoleName,
    /// Only this email (regardless of case) may accept.
    pub email: Option<String>,
    /// 1–604800, default 604800 (7 days).
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug, Object)]
pub struct CreatedInvite {
    /// 43 characters, base64url; shown only here.
    pub token: String,
    pub expires_at: String,
}

#[derive(Debug, Object, Deserialize)]
pub struct AcceptInviteRequest {
    pub token: String,
}

#[derive(Debug, Object)]
pub struct JoinedConversation {
    pub conversation_id: String,
}

#[derive(Debug, Object)]
pub struct ThreadList {
    pub threads: Vec<ThreadSummaryView>,
    /// The last thread's `last_activity_at`, when the page is full.
    #[oai(skip_serializing_if_is_none)]
    pub next_after: Option<String>,
}

#[derive(Debug, Object)]
pub struct UnreadThreadSummary {
    pub root_id: String,
    pub unread: u64,
}

#[derive(Debug, Object)]
pub struct UnreadList {
    pub threads: Vec<UnreadThreadSummary>,
}

#[derive(Debug, Default, Object, Deserialize)]
pub struct MarkReadRequest {
    /// A message of the thread; the newest when absent.
    pub path: Option<String>,
}

#[derive(Debug, Object)]
pub struct ThreadTree {
    pub root_id: String,
    pub messages: Vec<MessageView>,
    /// The last message's `path`, when the page is full.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object, Deserialize)]
pub struct PostMessageRequest {
    /// Not blank, at most 100000 characters; stored as sent.
    pub content: String,
    /// `user` (default) or `system`; `assistant` and `tool` are the server's.
    pub role: Option<RoleName>,
    /// The reply's provider and model: both or neither.
    pub provider: Option<ProviderName>,
    pub model: Option<String>,
}

#[derive(Debug, Object)]
pub struct PostedRoot {
    pub message_id: String,
    /// The new message's id.
    pub root_id: String,
    pub conversation_id: String,
    pub depth: u32,
    /// The assistant reply started, when the post asked for one.
    #[oai(skip_serializing_if_is_none)]
    pub assistant_message_id: Option<String>,
}

#[derive(Debug, Object)]
pub struct PostedReply {
    pub message_id: String,
    pub root_id: String,
    pub conversation_id: String,
    pub parent_id: String,
    pub depth: u32,
    #[oai(skip_serializing_if_is_none)]
    pub assistant_message_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(rename = "MessageChunk")]
pub struct MessageChunkView {
    pub message_id: String,
    pub idx: u64,
    pub content: String,
    pub created_at: String,
}

impl From<&MessageChunk> for MessageChunkView {
    fn from(c: &MessageChunk) -> MessageChunkView {
        MessageChunkView {
            message_id: c.message_id.to_string(),
            idx: c.idx,
            content: c.content.clone(),
            created_at: iso(c.created_at),
        }
    }
}

#[derive(Debug, Object, Deserialize)]
pub struct EditMessageRequest {
    pub content: String,
    /// At most 512 characters; stored, not shown.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Object, Deserialize)]
pub struct DeleteMessageRequest {
    pub reason: Option<String>,
}

#[derive(Debug, Object)]
pub struct CancelledReply {
    pub message_id: String,
    /// `cancelled` or `completed`.
    pub status: String,
}

#[derive(Debug, Object, Deserialize)]
pub struct TypingRequest {
    pub conversation_id: String,
    pub root_id: String,
    /// Default 5, at most 30; 0 or less stops typing.
    pub seconds: Option<i64>,
}

#[derive(Debug, Default, Object, Deserialize)]
pub struct HeartbeatRequest {
    /// Default `online`.
    pub status: Option<PresenceStatusName>,
}
