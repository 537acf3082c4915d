//! Threads and their messages (§4.7, §4.8): posting, reading the tree,
//! editing, deleting and restoring.

use sybil_domain::Timestamp;
use sybil_domain::account::{FieldError, User};
use sybil_domain::conversation::MessagePath;
use sybil_domain::conversation::content::{self, PostRole};
use sybil_domain::conversation::model::{Membership, MessageRole, ReplyStatus, ThreadMessage};
use sybil_domain::conversation::permissions::{Action, permits};
use sybil_domain::pagination::page_limit;
use sybil_ports::inbound::{
    CancelOutcome, ConversationError, NewMessage, Posted, ThreadPage, TreePage,
};
use sybil_ports::outbound::{DeleteOutcome, EditOutcome, MessageChunk, NewPost};
use uuid::Uuid;

use super::membership::reply_model;
use super::presence::NO_ROOT;
use super::{ConversationService, NOT_FOUND};

const NO_MESSAGE: ConversationError = ConversationError::NotFound("message not found");
const NO_PARENT: ConversationError = ConversationError::NotFound("parent message not found");

impl ConversationService {
    /// A message the caller may see (a participant of its conversation),
    /// with the caller's membership; `missing` otherwise.
    async fn visible_message(
        &self,
        user: &User,
        id: Uuid,
        missing: ConversationError,
    ) -> Result<(ThreadMessage, Membership), ConversationError> {
        let message = self.deps.store.message(id).await?.ok_or(missing.clone())?;
        let membership = self
            .member_of(user, message.conversation_id, missing)
            .await?;
        Ok((message, membership))
    }

    /// A thread's root that the caller may see: 404 "thread root not found".
    pub(super) async fn root_for(
        &self,
        user: &User,
        root: Uuid,
    ) -> Result<ThreadMessage, ConversationError> {
        let (message, _) = self.visible_message(user, root, NO_ROOT).await?;
        if message.is_root() {
            Ok(message)
        } else {
            Err(NO_ROOT)
        }
    }

    pub(super) async fn list_threads(
        &self,
        user: &User,
        conversation: Uuid,
        after: Option<Timestamp>,
        limit: Option<i64>,
    ) -> Result<ThreadPage, ConversationError> {
        self.member_of(user, conversation, NOT_FOUND).await?;
        let limit = page_limit(limit, 50, 100);
        let threads = self.deps.store.threads(conversation, after, limit).await?;
        let next_after = (threads.len() as u64 == limit)
            .then(|| threads.last().map(|t| t.last_activity_at))
            .flatten();
        Ok(ThreadPage {
            threads,
            next_after,
        })
    }

    pub(super) async fn unread_counts(
        &self,
        user: &User,
        conversation: Uuid,
    ) -> Result<Vec<(Uuid, u64)>, ConversationError> {
        self.member_of(user, conversation, NOT_FOUND).await?;
        Ok(self.deps.store.unread(conversation, user.id).await?)
    }

    pub(super) async fn read_tree(
        &self,
        user: &User,
        root: Uuid,
        cursor_path: Option<String>,
        limit: Option<i64>,
    ) -> Result<TreePage, ConversationError> {
        let root = self.root_for(user, root).await?;
        let after = cursor_path
            .map(|text| {
                MessagePath::parse(&text).ok_or_else(|| {
                    FieldError::new(
                        "cursor_path",
                        "cursor_path must be a message path: 16 lowercase hex digits per label, joined by '.'",
                    )
                })
            })
            .transpose()?;
        let limit = page_limit(limit, 200, 500);
        let messages = self.deps.store.thread_messages(&root, after, limit).await?;
        let next_cursor = (messages.len() as u64 == limit)
            .then(|| messages.last().map(|m| m.path.as_str().to_string()))
            .flatten();
        Ok(TreePage {
            root_id: root.id,
            messages,
            next_cursor,
        })
    }

    /// Posts a root (`parent` `None`) or a reply, then starts the assistant
    /// reply a `user` post asks for.
    pub(super) async fn post(
        &self,
        user: &User,
        conversation: Uuid,
        parent: Option<ThreadMessage>,
        new: NewMessage,
        missing: ConversationError,
    ) -> Result<Posted, ConversationError> {
        let membership = self.member_of(user, conversation, missing).await?;
        Self::require(user, &membership, Action::Post)?;
        content::content(&new.content)?;
        let role = content::post_role(new.role.as_deref())?;
        let asked = reply_model(new.provider, new.model)?;
        // Last of the post's checks (§1.4 step 9); assistant replies are
        // not charged.
        if let Some(verdict) = self.deps.limits.charge_post(user.id, conversation).await
            && !verdict.decision.allowed
        {
            return Err(ConversationError::RateLimited(verdict));
        }
        let message = self
            .deps
            .store
            .post(
                NewPost {
                    id: self.deps.ids.new_id(),
                    conversation_id: conversation,
                    parent,
                    author: user.id,
                    system: role == PostRole::System,
                    content: new.content,
                    now: self.now(),
                },
                self.deps.settings.presence,
            )
            .await?;
        let assistant_message_id = match role {
            PostRole::System => None,
            PostRole::User => Some(
                self.start_reply(&membership.conversation, &message, asked)
                    .await?,
            ),
        };
        Ok(Posted {
            message,
            assistant_message_id,
        })
    }

    pub(super) async fn post_reply(
        &self,
        user: &User,
        parent: Uuid,
        new: NewMessage,
    ) -> Result<Posted, ConversationError> {
        let parent = self.deps.store.message(parent).await?.ok_or(NO_PARENT)?;
        let conversation = parent.conversation_id;
        self.post(user, conversation, Some(parent), new, NO_PARENT)
            .await
    }

    pub(super) async fn list_chunks(
        &self,
        user: &User,
        message: Uuid,
        from: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<MessageChunk>, ConversationError> {
        let (message, _) = self.visible_message(user, message, NO_MESSAGE).await?;
        let from = from.unwrap_or(0).max(0) as u64;
        let limit = page_limit(limit, 500, 1000);
        Ok(self.deps.store.chunks(message.id, from, limit).await?)
    }

    pub(super) async fn edit_message(
        &self,
        user: &User,
        id: Uuid,
        text: String,
        reason: Option<String>,
    ) -> Result<(), ConversationError> {
        let (message, membership) = self.visible_message(user, id, NO_MESSAGE).await?;
        if message.author != Some(user.id) || message.role == MessageRole::Assistant {
            return Err(ConversationError::Forbidden(
                "only the author may edit a message",
            ));
        }
        Self::require(user, &membership, Action::EditOwn)?;
        if message.deleted_at.is_some() {
            return Err(ConversationError::Conflict("message deleted"));
        }
        content::content(&text)?;
        content::edit_reason(reason.as_deref())?;
        match self
            .deps
            .store
            .edit_message(id, &text, reason, self.now())
            .await?
        {
            EditOutcome::Edited => Ok(()),
            EditOutcome::Deleted => Err(ConversationError::Conflict("message deleted")),
            EditOutcome::NotFound => Err(NO_MESSAGE),
        }
    }

    pub(super) async fn delete_message(
        &self,
        user: &User,
        id: Uuid,
    ) -> Result<(), ConversationError> {
        let (message, membership) = self.visible_message(user, id, NO_MESSAGE).await?;
        let own = message.author == Some(user.id);
        Self::require(
            user,
            &membership,
            if own {
                Action::DeleteOwn
            } else {
                Action::DeleteAny
            },
        )?;
        match self
            .deps
            .store
            .set_deleted(id, Some(user.id), self.now())
            .await?
        {
            DeleteOutcome::Changed | DeleteOutcome::Unchanged => Ok(()),
            DeleteOutcome::Streaming => {
                Err(ConversationError::Conflict("reply is still streaming"))
            }
            DeleteOutcome::NotFound => Err(NO_MESSAGE),
        }
    }

    pub(super) async fn restore_message(
        &self,
        user: &User,
        id: Uuid,
    ) -> Result<(), ConversationError> {
        let (message, membership) = self.visible_message(user, id, NO_MESSAGE).await?;
        let acting = super::acting_role(user, &membership);
        let allowed = match message.deleted_by {
            Some(by) => permits(
                acting,
                Action::Restore {
                    deleted_by_actor: by == user.id,
                },
            ),
            // Not deleted: nothing to do, for a manager or the author.
            None => {
                message.author == Some(user.id)
                    || permits(
                        acting,
                        Action::Restore {
                            deleted_by_actor: false,
                        },
                    )
            }
        };
        if !allowed {
            return Err(ConversationError::Forbidden(
                "your role in this conversation does not allow this",
            ));
        }
        match self.deps.store.set_deleted(id, None, self.now()).await? {
            DeleteOutcome::NotFound => Err(NO_MESSAGE),
            _ => Ok(()),
        }
    }

    pub(super) async fn cancel_reply(
        &self,
        user: &User,
        id: Uuid,
    ) -> Result<CancelOutcome, ConversationError> {
        let (reply, membership) = self.visible_message(user, id, NO_MESSAGE).await?;
        if reply.role != MessageRole::Assistant {
            return Err(ConversationError::CancelRole);
        }
        let answers_actor = match reply.parent_id {
            Some(parent) => self
                .deps
                .store
                .message(parent)
                .await?
                .is_some_and(|p| p.author == Some(user.id)),
            None => false,
        };
        Self::require(user, &membership, Action::Cancel { answers_actor })?;
        let status = match reply.status {
            Some(ReplyStatus::Streaming) => self.stop_reply(&reply).await?,
            other => other,
        };
        Ok(match status {
            Some(ReplyStatus::Stopped | ReplyStatus::Streaming) => CancelOutcome::Cancelled,
            _ => CancelOutcome::Completed,
        })
    }
}
