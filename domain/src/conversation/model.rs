//! What a conversation holds (§2.2–§2.3): the conversation, its
//! participants, and the messages of its threads.

use uuid::Uuid;

use super::path::MessagePath;
use super::permissions::ConversationRole;
use super::presence::PresenceStatus;
use crate::Timestamp;
use crate::provider::Provider;

/// How many characters of a root's trimmed content a thread summary shows.
pub const EXCERPT_CHARS: usize = 240;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    pub is_group: bool,
    pub created_by: Uuid,
    pub created_at: Timestamp,
    /// The newest message's `created_at`, else `created_at`.
    pub last_activity_at: Timestamp,
    /// The reply defaults: both or neither.
    pub defaults: Option<(Provider, String)>,
}

/// A conversation as one of its participants sees it in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub conversation: Conversation,
    pub role: ConversationRole,
    pub participant_count: u64,
}

/// A user's presence as last set: the status and when the user was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceSeen {
    pub status: PresenceStatus,
    pub last_seen_at: Option<Timestamp>,
}

impl PresenceSeen {
    /// A user never seen: offline.
    pub const NEVER: PresenceSeen = PresenceSeen {
        status: PresenceStatus::Offline,
        last_seen_at: None,
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub role: ConversationRole,
    pub joined_at: Timestamp,
    pub presence: PresenceSeen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageRole {
    User,
    System,
    Assistant,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::User => "user",
            MessageRole::System => "system",
            MessageRole::Assistant => "assistant",
        }
    }

    pub fn parse(text: &str) -> Option<MessageRole> {
        [
            MessageRole::User,
            MessageRole::System,
            MessageRole::Assistant,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// Where an assistant reply stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyStatus {
    Streaming,
    Completed,
    Stopped,
    Error,
}

impl ReplyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStatus::Streaming => "streaming",
            ReplyStatus::Completed => "completed",
            ReplyStatus::Stopped => "stopped",
            ReplyStatus::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<ReplyStatus> {
        [
            ReplyStatus::Streaming,
            ReplyStatus::Completed,
            ReplyStatus::Stopped,
            ReplyStatus::Error,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Why a reply failed (§5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError {
    pub code: String,
    pub message: String,
}

impl ReplyError {
    fn new(code: &str, message: impl Into<String>) -> ReplyError {
        ReplyError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// No provider and model on the post, the conversation or the server.
    pub fn no_model() -> ReplyError {
        ReplyError::new(
            "no_model",
            "no provider and model: set them on the post or the conversation, or set ASSISTANT_DEFAULT_PROVIDER and ASSISTANT_DEFAULT_MODEL",
        )
    }

    /// The provider's API key is not set; `message` as `/v1`'s 400 says it.
    pub fn provider_not_configured(message: impl Into<String>) -> ReplyError {
        ReplyError::new("provider_not_configured", message)
    }

    /// The provider (or storage) failed; `message` names which and how.
    pub fn upstream(message: impl Into<String>) -> ReplyError {
        ReplyError::new("upstream_error", message)
    }

    /// The process running the reply died (or was taken for dead).
    pub fn interrupted() -> ReplyError {
        ReplyError::new("interrupted", "the reply was interrupted")
    }
}

/// A message of a thread, as stored: `content` keeps the text of a deleted
/// message, which reads as `""` (`shown_content`) until it is restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMessage {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// Its number in the conversation's sequence.
    pub seq: u64,
    pub root_id: Uuid,
    pub parent_id: Option<Uuid>,
    /// `None` on assistant replies.
    pub author: Option<Uuid>,
    pub role: MessageRole,
    pub content: String,
    pub path: MessagePath,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub deleted_by: Option<Uuid>,
    /// Assistant replies only.
    pub status: Option<ReplyStatus>,
    pub error: Option<ReplyError>,
    pub reply_model: Option<(Provider, String)>,
}

impl ThreadMessage {
    /// The text a reader sees: `""` while deleted.
    pub fn shown_content(&self) -> &str {
        if self.deleted_at.is_some() {
            ""
        } else {
            &self.content
        }
    }

    pub fn depth(&self) -> u32 {
        self.path.depth()
    }

    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }
}

/// A thread as its list shows it (§2.2 `ThreadSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub root_id: Uuid,
    pub root_excerpt: String,
    pub root_author: Option<Uuid>,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub message_count: u64,
    pub participant_count: u64,
}

/// The first `EXCERPT_CHARS` characters of a root's trimmed text; `""`
/// for a deleted root.
pub fn excerpt(root: &ThreadMessage) -> String {
    excerpt_of(root.shown_content())
}

/// The first `EXCERPT_CHARS` characters of `content`, trimmed.
pub fn excerpt_of(content: &str) -> String {
    content.trim().chars().take(EXCERPT_CHARS).collect()
}

/// The `created_at` of a new message: `now`, or a millisecond after the
/// conversation's newest message when the clock has not moved past it, so
/// message times are unique and increasing within a conversation.
pub fn next_message_time(now: Timestamp, newest: Option<Timestamp>) -> Timestamp {
    match newest {
        Some(last) if now.0 <= last.0 => Timestamp(last.0 + 1),
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(content: &str, deleted: bool) -> ThreadMessage {
        ThreadMessage {
            id: Uuid::nil(),
            conversation_id: Uuid::nil(),
            seq: 1,
            root_id: Uuid::nil(),
            parent_id: None,
            author: None,
            role: MessageRole::User,
            content: content.into(),
            path: MessagePath::root(1),
            created_at: Timestamp(1),
            edited_at: None,
            deleted_at: deleted.then_some(Timestamp(2)),
            deleted_by: None,
            status: None,
            error: None,
            reply_model: None,
        }
    }

    #[test]
    fn deleted_messages_read_empty_and_keep_their_text() {
        let gone = message("secret plan", true);
        assert_eq!(gone.shown_content(), "");
        assert_eq!(gone.content, "secret plan");
        assert_eq!(message("hi", false).shown_content(), "hi");
    }

    #[test]
    fn excerpts_are_trimmed_and_cut_at_240_characters() {
        assert_eq!(excerpt(&message("  hello \n", false)), "hello");
        let long = "é".repeat(300);
        assert_eq!(excerpt(&message(&long, false)).chars().count(), 240);
        assert_eq!(excerpt(&message("visible", true)), "");
    }

    #[test]
    fn message_times_strictly_increase() {
        assert_eq!(next_message_time(Timestamp(10), None), Timestamp(10));
        assert_eq!(
            next_message_time(Timestamp(10), Some(Timestamp(5))),
            Timestamp(10)
        );
        assert_eq!(
            next_message_time(Timestamp(10), Some(Timestamp(10))),
            Timestamp(11)
        );
        assert_eq!(
            next_message_time(Timestamp(9), Some(Timestamp(12))),
            Timestamp(13)
        );
    }

    #[test]
    fn roles_and_statuses_read_back() {
        for r in [
            MessageRole::User,
            MessageRole::System,
            MessageRole::Assistant,
        ] {
            assert_eq!(MessageRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(MessageRole::parse("tool"), None);
        for s in [
            ReplyStatus::Streaming,
            ReplyStatus::Completed,
            ReplyStatus::Stopped,
            ReplyStatus::Error,
        ] {
            assert_eq!(ReplyStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReplyStatus::parse("done"), None);
    }
}
