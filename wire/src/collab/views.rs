//! Messages and thread summaries as reads and events show them.

use poem_openapi::Object;
use serde::Serialize;
use sybil_domain::conversation::model::{ThreadMessage, ThreadSummary};

use super::names::{MessageRoleName, ReplyStatusName};
use crate::shared::{ProviderName, provider_name};
use crate::time::iso;

/// Why a reply failed (§5.4).
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(rename = "MessageError")]
pub struct MessageErrorBody {
    pub code: String,
    pub message: String,
}

/// A message of a thread; a deleted one reads `content: ""` with `deleted_at`.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct MessageView {
    pub id: String,
    pub root_id: String,
    /// Absent on roots.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub conversation_id: String,
    /// Absent on assistant replies.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_user_id: Option<String>,
    pub role: MessageRoleName,
    pub content: String,
    /// One 16-hex-digit label per message from the root down, joined by `.`.
    pub path: String,
    pub depth: u32,
    pub created_at: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Assistant replies only.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ReplyStatusName>,
    /// When `status` is `error`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<MessageErrorBody>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderName>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl From<&ThreadMessage> for MessageView {
    fn from(m: &ThreadMessage) -> MessageView {
        MessageView {
            id: m.id.to_string(),
            root_id: m.root_id.to_string(),
            parent_id: m.parent_id.map(|p| p.to_string()),
            conversation_id: m.conversation_id.to_string(),
            author_user_id: m.author.map(|a| a.to_string()),
            role: m.role.into(),
            content: m.shown_content().to_string(),
            path: m.path.as_str().to_string(),
            depth: m.depth(),
            created_at: iso(m.created_at),
            edited_at: m.edited_at.map(iso),
            deleted_at: m.deleted_at.map(iso),
            status: m.status.map(ReplyStatusName::from),
            error: m.error.as_ref().map(|e| MessageErrorBody {
                code: e.code.clone(),
                message: e.message.clone(),
            }),
            provider: m.reply_model.as_ref().map(|(p, _)| provider_name(*p)),
            model: m.reply_model.as_ref().map(|(_, model)| model.clone()),
        }
    }
}

/// A thread in its conversation's list.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(rename = "ThreadSummary")]
pub struct ThreadSummaryView {
    pub root_id: String,
    /// The first 240 characters of the trimmed root; `""` when it is deleted.
    pub root_excerpt: String,
    /// The root's author; `null` for none.
    #[oai(nullable)]
    pub root_author: Option<String>,
    pub created_at: String,
    /// The newest message of the thread, deleted ones included.
    pub last_activity_at: String,
    /// Deleted messages included.
    pub message_count: u64,
    /// Active participants of the conversation.
    pub participant_count: u64,
}

impl From<&ThreadSummary> for ThreadSummaryView {
    fn from(t: &ThreadSummary) -> ThreadSummaryView {
        ThreadSummaryView {
            root_id: t.root_id.to_string(),
            root_excerpt: t.root_excerpt.clone(),
            root_author: t.root_author.map(|a| a.to_string()),
            created_at: iso(t.created_at),
            last_activity_at: iso(t.last_activity_at),
            message_count: t.message_count,
            participant_count: t.participant_count,
        }
    }
}
