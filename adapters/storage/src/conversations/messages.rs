//! Posts, assistant replies, and the threads they make.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use sybil_domain::conversation::model::{
    MessageRole, ReplyStatus, ThreadMessage, ThreadSummary, excerpt, excerpt_of, next_message_time,
};
use sybil_domain::conversation::presence::PresenceTimes;
use sybil_domain::conversation::{MessagePath, PresenceStatus};
use sybil_domain::{Provider, Timestamp};
use sybil_ports::outbound::{
    ConversationEvent, DeleteOutcome, EditOutcome, MessageAction, MessageChunk, NewPost,
    StorageError,
};
use uuid::Uuid;

use super::events::Events;
use super::rows::{MESSAGE_COLUMNS, message_row, millis};
use crate::SeaOrmStorage;
use crate::columns::{corrupt, count, get};

/// A new message before it is numbered and dated.
pub(super) struct Draft<'a> {
    pub id: Uuid,
    pub conversation: Uuid,
    pub parent: Option<&'a ThreadMessage>,
    pub author: Option<Uuid>,
    pub role: MessageRole,
    pub content: &'a str,
    pub status: Option<ReplyStatus>,
    pub model: Option<&'a (Provider, String)>,
    /// The process running a reply.
    pub owner: Option<&'a str>,
    pub now: Timestamp,
}

impl SeaOrmStorage {
    pub(crate) async fn find_message(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<ThreadMessage>, StorageError> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM conversation_messages WHERE id = $1");
        self.row(db, &sql, vec![id.into()])
            .await?
            .as_ref()
            .map(message_row)
            .transpose()
    }

    pub(crate) async fn list_ancestry(
        &self,
        message: &ThreadMessage,
    ) -> Result<Vec<ThreadMessage>, StorageError> {
        let paths = message.path.ancestors();
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let slots: Vec<String> = (0..paths.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages \
             WHERE root_id = $1 AND path IN ({}) ORDER BY path",
            slots.join(", ")
        );
        let mut values: Vec<Value> = vec![message.root_id.into()];
        values.extend(paths.iter().map(|p| Value::from(p.as_str())));
        let rows = self.rows(&self.db, &sql, values).await?;
        rows.iter().map(message_row).collect()
    }

    pub(crate) async fn find_message_at(
        &self,
        root: Uuid,
        path: &MessagePath,
    ) -> Result<Option<ThreadMessage>, StorageError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages WHERE root_id = $1 AND path = $2"
        );
        self.row(&self.db, &sql, vec![root.into(), path.as_str().into()])
            .await?
            .as_ref()
            .map(message_row)
            .transpose()
    }

    async fn participant_count(
        &self,
        db: &impl ConnectionTrait,
        conversation: Uuid,
    ) -> Result<u64, StorageError> {
        let row = self
            .row(
                db,
                "SELECT COUNT(*) AS n FROM conversation_participants \
                 WHERE conversation_id = $1 AND left_at IS NULL",
                vec![conversation.into()],
            )
            .await?;
        row.as_ref().map_or(Ok(0), |r| count(r, "n"))
    }

    /// Numbers, dates and stores a message, and moves its thread and
    /// conversation: the stored message and its thread's summary.
    pub(super) async fn insert_message(
        &self,
        txn: &DatabaseTransaction,
        draft: Draft<'_>,
    ) -> Result<(ThreadMessage, ThreadSummary), StorageError> {
        let numbered = self
            .row(
                txn,
                "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 \
                 RETURNING last_seq, last_activity_at",
                vec![draft.conversation.into()],
            )
            .await?
            .ok_or_else(|| corrupt(format!("conversation {} is gone", draft.conversation)))?;
        let seq = count(&numbered, "last_seq")?;
        let created_at = next_message_time(draft.now, Some(millis(&numbered, "last_activity_at")?));
        self.run(
            txn,
            "UPDATE conversations SET last_activity_at = $2 WHERE id = $1",
            vec![draft.conversation.into(), created_at.millis().into()],
        )
        .await?;
        let (root_id, path) = match draft.parent {
            None => (draft.id, MessagePath::root(seq)),
            Some(parent) => (parent.root_id, parent.path.child(seq)),
        };
        let stored = ThreadMessage {
            id: draft.id,
            conversation_id: draft.conversation,
            seq,
            root_id,
            parent_id: draft.parent.map(|p| p.id),
            author: draft.author,
            role: draft.role,
            content: draft.content.to_string(),
            path,
            created_at,
            edited_at: None,
            deleted_at: None,
            deleted_by: None,
            status: draft.status,
            error: None,
            reply_model: draft.model.cloned(),
        };
        self.run(
            txn,
            "INSERT INTO conversation_messages (id, conversation_id, seq, root_id, parent_id, \
             author_user_id, role, content, path, created_at, status, provider, model, \
             lease_owner, lease_heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            vec![
                stored.id.into(),
                stored.conversation_id.into(),
                (seq as i64).into(),
                root_id.into(),
                stored.parent_id.into(),
                stored.author.into(),
                stored.role.as_str().into(),
                stored.content.clone().into(),
                stored.path.as_str().into(),
                created_at.millis().into(),
                stored.status.map(|s| s.as_str()).into(),
                draft.model.map(|(p, _)| p.as_str()).into(),
                draft.model.map(|(_, m)| m.clone()).into(),
                draft.owner.map(str::to_string).into(),
                draft.owner.map(|_| draft.now.millis()).into(),
            ],
        )
        .await?;
        let participant_count = self.participant_count(txn, draft.conversation).await?;
        let summary = match draft.parent {
            None => {
                self.run(
                    txn,
                    "INSERT INTO conversation_threads (root_id, conversation_id, created_at, \
                     last_activity_at, message_count) VALUES ($1, $2, $3, $3, 1)",
                    vec![
                        root_id.into(),
                        draft.conversation.into(),
                        created_at.millis().into(),
                    ],
                )
                .await?;
                ThreadSummary {
                    root_id,
                    root_excerpt: excerpt(&stored),
                    root_author: stored.author,
                    created_at,
                    last_activity_at: created_at,
                    message_count: 1,
                    participant_count,
                }
            }
            Some(_) => {
                let thread = self
                    .row(
                        txn,
                        "UPDATE conversation_threads SET last_activity_at = $2, \
                         message_count = message_count + 1 WHERE root_id = $1 \
                         RETURNING created_at, message_count",
                        vec![root_id.into(), created_at.millis().into()],
                    )
                    .await?
                    .ok_or_else(|| corrupt(format!("thread {root_id} is gone")))?;
                let root = self
                    .find_message(txn, root_id)
                    .await?
                    .ok_or_else(|| corrupt(format!("root {root_id} is gone")))?;
                ThreadSummary {
                    root_id,
                    root_excerpt: excerpt(&root),
                    root_author: root.author,
                    created_at: millis(&thread, "created_at")?,
                    last_activity_at: created_at,
                    message_count: count(&thread, "message_count")?,
                    participant_count,
                }
            }
        };
        Ok((stored, summary))
    }

    /// `unread.update` for each participant of the thread of `root` (but `skip`).
    pub(super) async fn unread_events(
        &self,
        txn: &DatabaseTransaction,
        conversation: Uuid,
        root: Uuid,
        skip: Option<Uuid>,
        events: &mut Events,
    ) -> Result<(), StorageError> {
        for (user, unread) in self.thread_unread(txn, conversation, root).await? {
            if Some(user) != skip {
                events.push(
                    conversation,
                    ConversationEvent::UnreadUpdate {
                        user_id: user,
                        root_id: root,
                        unread,
                    },
                );
            }
        }
        Ok(())
    }

    pub(crate) async fn write_post(
        &self,
        post: NewPost,
        times: PresenceTimes,
    ) -> Result<ThreadMessage, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let conversation = post.conversation_id;
        let (stored, summary) = self
            .insert_message(
                &txn,
                Draft {
                    id: post.id,
                    conversation,
                    parent: post.parent.as_ref(),
                    author: Some(post.author),
                    role: if post.system {
                        MessageRole::System
                    } else {
                        MessageRole::User
                    },
                    content: &post.content,
                    status: None,
                    model: None,
                    owner: None,
                    now: post.now,
                },
            )
            .await?;
        let mut events = Events::default();
        if stored.is_root() {
            events.push(conversation, ConversationEvent::ThreadNew { summary });
        }
        events.push(
            conversation,
            ConversationEvent::ThreadActivity {
                root_id: stored.root_id,
                last_activity_at: stored.created_at,
            },
        );
        self.see_user(
            &txn,
            post.author,
            PresenceStatus::Online,
            post.now,
            times,
            Some(conversation),
            &mut events,
        )
        .await?;
        self.stop_typing(
            &txn,
            conversation,
            post.author,
            stored.root_id,
            post.now,
            &mut events,
        )
        .await?;
        self.unread_events(
            &txn,
            conversation,
            stored.root_id,
            Some(post.author),
            &mut events,
        )
        .await?;
        self.commit_events(txn, events, post.now).await?;
        Ok(stored)
    }

    pub(crate) async fn list_thread(
        &self,
        root: &ThreadMessage,
        after: Option<&MessagePath>,
        limit: u64,
    ) -> Result<Vec<ThreadMessage>, StorageError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages \
             WHERE root_id = $1 AND path > $2 ORDER BY path LIMIT $3"
        );
        // "" sorts before every path: from the root.
        let after = after.map_or("", |p| p.as_str());
        let rows = self
            .rows(
                &self.db,
                &sql,
                vec![root.id.into(), after.into(), (limit as i64).into()],
            )
            .await?;
        rows.iter().map(message_row).collect()
    }

    pub(crate) async fn list_threads(
        &self,
        conversation: Uuid,
        before: Option<Timestamp>,
        limit: u64,
    ) -> Result<Vec<ThreadSummary>, StorageError> {
        let mut values: Vec<Value> = vec![conversation.into(), (limit as i64).into()];
        let page = match before {
            Some(at) => {
                values.push(at.millis().into());
                "AND t.last_activity_at < $3"
            }
            None => "",
        };
        let sql = format!(
            "SELECT t.root_id, t.created_at, t.last_activity_at, t.message_count, \
             m.content, m.deleted_at, m.author_user_id \
             FROM conversation_threads t JOIN conversation_messages m ON m.id = t.root_id \
             WHERE t.conversation_id = $1 {page} \
             ORDER BY t.last_activity_at DESC, t.root_id DESC LIMIT $2"
        );
        let rows = self.rows(&self.db, &sql, values).await?;
        let participant_count = self.participant_count(&self.db, conversation).await?;
        rows.iter()
            .map(|r| {
                let deleted: Option<i64> = get(r, "deleted_at")?;
                let content: String = get(r, "content")?;
                let root_excerpt = if deleted.is_some() {
                    String::new()
                } else {
                    excerpt_of(&content)
                };
                Ok(ThreadSummary {
                    root_id: get(r, "root_id")?,
                    root_excerpt,
                    root_author: get(r, "author_user_id")?,
                    created_at: millis(r, "created_at")?,
                    last_activity_at: millis(r, "last_activity_at")?,
                    message_count: count(r, "message_count")?,
                    participant_count,
                })
            })
            .collect()
    }

    pub(crate) async fn write_edit(
        &self,
        id: Uuid,
        content: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<EditOutcome, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let Some(found) = self.find_message(&txn, id).await? else {
            self.rollback(txn).await?;
            return Ok(EditOutcome::NotFound);
        };
        if found.deleted_at.is_some() {
            self.rollback(txn).await?;
            return Ok(EditOutcome::Deleted);
        }
        self.run(
            &txn,
            "UPDATE conversation_messages SET content = $2, edited_at = $3, edit_reason = $4 \
             WHERE id = $1",
            vec![
                id.into(),
                content.into(),
                now.millis().into(),
                reason.map(str::to_string).into(),
            ],
        )
        .await?;
        let edited = ThreadMessage {
            content: content.to_string(),
            edited_at: Some(now),
            ..found
        };
        let mut events = Events::default();
        events.push(
            edited.conversation_id,
            ConversationEvent::MessageUpdated {
                action: MessageAction::Edited,
                message: edited,
            },
        );
        self.commit_events(txn, events, now).await?;
        Ok(EditOutcome::Edited)
    }

    pub(crate) async fn write_deleted(
        &self,
        id: Uuid,
        by: Option<Uuid>,
        now: Timestamp,
    ) -> Result<DeleteOutcome, StorageError> {
        let (txn, _turn) = self.begin_write().await?;
        let Some(found) = self.find_message(&txn, id).await? else {
            self.rollback(txn).await?;
            return Ok(DeleteOutcome::NotFound);
        };
        let deleting = by.is_some();
        if found.deleted_at.is_some() == deleting {
            self.rollback(txn).await?;
            return Ok(DeleteOutcome::Unchanged);
        }
        if deleting && found.status == Some(ReplyStatus::Streaming) {
            self.rollback(txn).await?;
            return Ok(DeleteOutcome::Streaming);
        }
        let conversation = found.conversation_id;
        let before = self
            .thread_unread(&txn, conversation, found.root_id)
            .await?;
        let deleted_at = deleting.then_some(now);
        self.run(
            &txn,
            "UPDATE conversation_messages SET deleted_at = $2, deleted_by = $3 WHERE id = $1",
            vec![
                id.into(),
                deleted_at.map(Timestamp::millis).into(),
                by.into(),
            ],
        )
        .await?;
        let after = self
            .thread_unread(&txn, conversation, found.root_id)
            .await?;
        let root = found.root_id;
        let changed = ThreadMessage {
            deleted_at,
            deleted_by: by,
            ..found
        };
        let mut events = Events::default();
        events.push(
            conversation,
            ConversationEvent::MessageUpdated {
                action: if deleting {
                    MessageAction::Deleted
                } else {
                    MessageAction::Restored
                },
                message: changed,
            },
        );
        for (user, unread) in after {
            if !before.contains(&(user, unread)) {
                events.push(
                    conversation,
                    ConversationEvent::UnreadUpdate {
                        user_id: user,
                        root_id: root,
                        unread,
                    },
                );
            }
        }
        self.commit_events(txn, events, now).await?;
        Ok(DeleteOutcome::Changed)
    }

    pub(crate) async fn list_chunks(
        &self,
        id: Uuid,
        from: u64,
        limit: u64,
    ) -> Result<Vec<MessageChunk>, StorageError> {
        let rows = self
            .rows(
                &self.db,
                "SELECT idx, content, created_at FROM message_chunks \
                 WHERE message_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
                vec![id.into(), (from as i64).into(), (limit as i64).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MessageChunk {
                    message_id: id,
                    idx: count(r, "idx")?,
                    content: get(r, "content")?,
                    created_at: millis(r, "created_at")?,
                })
            })
            .collect()
    }
}
