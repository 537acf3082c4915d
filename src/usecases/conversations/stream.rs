//! A conversation's live stream (§6.1): the retained events after the
//! follower's cursor, then each new one as the database wakes it, in id
//! order with no gap or repeat; `resync_required` when what it needs is
//! gone or it falls too far behind; the end after the user's removal.

use futures::StreamExt;
use futures::stream::BoxStream;
use sybil_domain::account::User;
use sybil_ports::inbound::{ConversationError, StreamItem};
use sybil_ports::outbound::{StoredEvent, Topic};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{ConversationService, NOT_FOUND};

/// Events read at once.
const PAGE: u64 = 256;
/// Frames a follower's channel holds before its reads wait for the client.
const BUFFER: usize = 64;

/// Whether `event` is the user's own removal (the stream then ends).
fn removes(event: &StoredEvent, user: Uuid) -> bool {
    if event.kind != "membership.changed" {
        return false;
    }
    let Ok(frame) = serde_json::from_str::<serde_json::Value>(&event.data) else {
        return false;
    };
    let payload = &frame["payload"];
    payload["action"] == "removed" && payload["user_id"] == user.to_string().as_str()
}

impl ConversationService {
    pub(super) async fn follow_conversation(
        &self,
        user: &User,
        conversation: Uuid,
        cursor: Option<u64>,
    ) -> Result<BoxStream<'static, StreamItem>, ConversationError> {
        self.member_of(user, conversation, NOT_FOUND).await?;
        let store = self.deps.store.clone();
        // Subscribed before the first read: nothing committed after that
        // read goes unnoticed.
        let mut wake = self
            .deps
            .wakeups
            .subscribe(Topic::Conversation(conversation));
        let user = user.id;
        let start = match cursor {
            Some(c) => c,
            None => {
                store
                    .events_for(conversation, user, u64::MAX, 1)
                    .await?
                    .newest
            }
        };
        let max_lag = self.deps.settings.stream_max_lag;
        let (tx, mut rx) = mpsc::channel(BUFFER);
        tokio::spawn(async move {
            let mut cursor = start;
            // Caught up once: from then on a growing distance is lag (a
            // replay from an old cursor is not).
            let mut live = false;
            loop {
                let batch = match store.events_for(conversation, user, cursor, PAGE).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "a conversation stream ended early");
                        return;
                    }
                };
                let resync = if cursor > batch.newest {
                    Some("the cursor is ahead of this conversation's events")
                } else if batch.newest > cursor && batch.oldest.is_none_or(|o| o > cursor + 1) {
                    Some("events after the cursor are no longer kept")
                } else if live && batch.newest - cursor > max_lag {
                    Some("this stream fell too far behind")
                } else {
                    None
                };
                if let Some(why) = resync {
                    let _ = tx.send(StreamItem::Resync(why.into())).await;
                    return;
                }
                let full = batch.events.len() as u64 == PAGE;
                for event in batch.events {
                    cursor = event.id;
                    let end = removes(&event, user);
                    if tx.send(StreamItem::Event(event)).await.is_err() || end {
                        return;
                    }
                }
                if full {
                    continue;
                }
                cursor = cursor.max(batch.newest);
                live = true;
                // No poll: the wake-ups do not get lost (see the storage's
                // listener), so an idle follower costs the database nothing.
                tokio::select! {
                    _ = wake.woken() => {}
                    _ = tx.closed() => return,
                }
            }
        });
        Ok(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed())
    }
}
