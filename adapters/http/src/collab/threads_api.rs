//! Threads, messages, read marks, typing and presence (§4.7–§4.9).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sybil_ports::inbound::{Caller, CancelOutcome, ConversationUseCases, NewMessage, Posted};
use sybil_wire::collab::{MessageView, ThreadSummaryView};
use sybil_wire::time::iso;

use super::CollabTags;
use super::conversation_dto::{
    CancelledReply, DeleteMessageRequest, EditMessageRequest, HeartbeatRequest, MarkReadRequest,
    MessageChunkView, PostMessageRequest, PostedReply, PostedRoot, ThreadList, ThreadTree,
    TypingRequest, UnreadList, UnreadThreadSummary,
};
use super::params::{NoContent, body_id, int_param, path_id, time_param, user_of};
use super::problem::{Problem, Throttled};
use super::request_body::{ApiJson, OptionalJson};

pub struct ThreadsApi {
    pub conversations: Arc<dyn ConversationUseCases>,
}

#[derive(ApiResponse)]
enum RootCreated {
    #[oai(status = 201)]
    Posted(Json<PostedRoot>),
}

#[derive(ApiResponse)]
enum ReplyCreated {
    #[oai(status = 201)]
    Posted(Json<PostedReply>),
}

#[derive(ApiResponse)]
enum Cancelled {
    #[oai(status = 202)]
    Accepted(Json<CancelledReply>),
}

fn new_message(body: PostMessageRequest) -> NewMessage {
    NewMessage {
        content: body.content,
        role: body.role.map(|r| r.as_str().to_string()),
        provider: body.provider.map(|p| p.domain()),
        model: body.model,
    }
}

fn assistant_id(posted: &Posted) -> Option<String> {
    posted.assistant_message_id.map(|id| id.to_string())
}

#[OpenApi(tag = "CollabTags::Conversations")]
impl ThreadsApi {
    /// A conversation's threads
    ///
    /// By `last_activity_at` descending; `after` (RFC 3339) keeps the threads
    /// whose `last_activity_at` is strictly earlier (`limit` 50 by default,
    /// at most 100).
    #[oai(path = "/api/conversations/:conversation_id/threads", method = "get")]
    async fn threads(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
        after: Query<Option<String>>,
        limit: Query<Option<String>>,
    ) -> Result<Json<ThreadList>, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let after = time_param("after", after.0.as_deref())?;
        let limit = int_param("limit", limit.0.as_deref())?;
        let page = self.conversations.threads(user, id, after, limit).await?;
        Ok(Json(ThreadList {
            threads: page.threads.iter().map(ThreadSummaryView::from).collect(),
            next_after: page.next_after.map(iso),
        }))
    }

    /// The caller's unread counts
    ///
    /// One entry per thread with unread messages, by `last_activity_at` descending.
    #[oai(path = "/api/conversations/:conversation_id/unread", method = "get")]
    async fn unread(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
    ) -> Result<Json<UnreadList>, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let counts = self.conversations.unread(user, id).await?;
        Ok(Json(UnreadList {
            threads: counts
                .into_iter()
                .map(|(root, unread)| UnreadThreadSummary {
                    root_id: root.to_string(),
                    unread,
                })
                .collect(),
        }))
    }

    /// Mark a thread read
    ///
    /// Up to the message at `path`, or the newest; the mark never moves back.
    /// Event: `unread.update` to the caller.
    #[oai(path = "/api/threads/:root_id/read", method = "post")]
    async fn mark_read(
        &self,
        caller: Data<&Caller>,
        root_id: Path<String>,
        body: OptionalJson<MarkReadRequest>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let root = path_id("root_id", &root_id)?;
        self.conversations
            .mark_read(user, root, body.0.path)
            .await?;
        Ok(NoContent::Done)
    }

    /// A thread's messages in tree order
    ///
    /// Those whose `path` is after `cursor_path`, in `path` order (`limit`
    /// 200 by default, at most 500).
    #[oai(path = "/api/threads/:root_id/tree", method = "get")]
    async fn tree(
        &self,
        caller: Data<&Caller>,
        root_id: Path<String>,
        cursor_path: Query<Option<String>>,
        limit: Query<Option<String>>,
    ) -> Result<Json<ThreadTree>, Problem> {
        let user = user_of(&caller)?;
        let root = path_id("root_id", &root_id)?;
        let limit = int_param("limit", limit.0.as_deref())?;
        let page = self
            .conversations
            .tree(user, root, cursor_path.0, limit)
            .await?;
        Ok(Json(ThreadTree {
            root_id: page.root_id.to_string(),
            messages: page.messages.iter().map(MessageView::from).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Start a thread
    ///
    /// A `user` post starts an assistant reply (`assistant_message_id`).
    #[oai(path = "/api/threads/:conversation_id/root", method = "post")]
    async fn post_root(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
        body: ApiJson<PostMessageRequest>,
    ) -> Result<RootCreated, Throttled> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let posted = self
            .conversations
            .post_root(user, id, new_message(body.0))
            .await?;
        let m = &posted.message;
        Ok(RootCreated::Posted(Json(PostedRoot {
            message_id: m.id.to_string(),
            root_id: m.root_id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            depth: m.depth(),
            assistant_message_id: assistant_id(&posted),
        })))
    }

    /// Reply to a message
    ///
    /// A `user` post starts an assistant reply (`assistant_message_id`).
    #[oai(path = "/api/messages/:parent_id/reply", method = "post")]
    async fn reply(
        &self,
        caller: Data<&Caller>,
        parent_id: Path<String>,
        body: ApiJson<PostMessageRequest>,
    ) -> Result<ReplyCreated, Throttled> {
        let user = user_of(&caller)?;
        let parent = path_id("parent_id", &parent_id)?;
        let posted = self
            .conversations
            .reply(user, parent, new_message(body.0))
            .await?;
        let m = &posted.message;
        Ok(ReplyCreated::Posted(Json(PostedReply {
            message_id: m.id.to_string(),
            root_id: m.root_id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            parent_id: parent.to_string(),
            depth: m.depth(),
            assistant_message_id: assistant_id(&posted),
        })))
    }

    /// An assistant reply's chunks
    ///
    /// Those with `idx >= from`, by `idx` (`limit` 500 by default, at most 1000).
    #[oai(path = "/api/messages/:message_id/chunks", method = "get")]
    async fn chunks(
        &self,
        caller: Data<&Caller>,
        message_id: Path<String>,
        from: Query<Option<String>>,
        limit: Query<Option<String>>,
    ) -> Result<Json<Vec<MessageChunkView>>, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("message_id", &message_id)?;
        let from = int_param("from", from.0.as_deref())?;
        let limit = int_param("limit", limit.0.as_deref())?;
        let chunks = self.conversations.chunks(user, id, from, limit).await?;
        Ok(Json(chunks.iter().map(MessageChunkView::from).collect()))
    }

    /// Edit one's message
    ///
    /// Event: `message.updated` (`edited`).
    #[oai(path = "/api/messages/:message_id/edit", method = "post")]
    async fn edit(
        &self,
        caller: Data<&Caller>,
        message_id: Path<String>,
        body: ApiJson<EditMessageRequest>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("message_id", &message_id)?;
        let EditMessageRequest { content, reason } = body.0;
        self.conversations.edit(user, id, content, reason).await?;
        Ok(NoContent::Done)
    }

    /// Delete a message
    ///
    /// Its content reads `""` until it is restored. Events: `message.updated`
    /// (`deleted`), then `unread.update` to each participant whose count changed.
    #[oai(path = "/api/messages/:message_id/delete", method = "post")]
    async fn delete(
        &self,
        caller: Data<&Caller>,
        message_id: Path<String>,
        _body: OptionalJson<DeleteMessageRequest>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("message_id", &message_id)?;
        self.conversations.delete(user, id).await?;
        Ok(NoContent::Done)
    }

    /// Restore a deleted message
    ///
    /// Events: `message.updated` (`restored`), then `unread.update` as for a delete.
    #[oai(path = "/api/messages/:message_id/restore", method = "post")]
    async fn restore(
        &self,
        caller: Data<&Caller>,
        message_id: Path<String>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("message_id", &message_id)?;
        self.conversations.restore(user, id).await?;
        Ok(NoContent::Done)
    }

    /// Stop an assistant reply
    ///
    /// `cancelled` when it was streaming (it stops, its text kept) or
    /// already stopped; `completed` when it had ended otherwise.
    #[oai(path = "/api/messages/:message_id/cancel", method = "post")]
    async fn cancel(
        &self,
        caller: Data<&Caller>,
        message_id: Path<String>,
    ) -> Result<Cancelled, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("message_id", &message_id)?;
        let status = match self.conversations.cancel(user, id).await? {
            CancelOutcome::Cancelled => "cancelled",
            CancelOutcome::Completed => "completed",
        };
        Ok(Cancelled::Accepted(Json(CancelledReply {
            message_id: id.to_string(),
            status: status.into(),
        })))
    }

    /// Say one is typing
    ///
    /// For `seconds` (default 5, at most 30); 0 or less stops. Event:
    /// `typing.update` to the other participants.
    #[oai(path = "/api/typing", method = "post")]
    async fn typing(
        &self,
        caller: Data<&Caller>,
        body: ApiJson<TypingRequest>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let TypingRequest {
            conversation_id,
            root_id,
            seconds,
        } = body.0;
        let conversation = body_id("conversation_id", &conversation_id)?;
        let root = body_id("root_id", &root_id)?;
        self.conversations
            .typing(user, conversation, root, seconds)
            .await?;
        Ok(NoContent::Done)
    }

    /// Presence heartbeat
    ///
    /// Sets the caller's status (default `online`), seen now. A change of
    /// the status shown sends `presence.update` to each of the caller's
    /// conversations.
    #[oai(path = "/api/presence/heartbeat", method = "post")]
    async fn heartbeat(
        &self,
        caller: Data<&Caller>,
        body: OptionalJson<HeartbeatRequest>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        self.conversations
            .heartbeat(user, body.0.status.map(Into::into))
            .await?;
        Ok(NoContent::Done)
    }
}
