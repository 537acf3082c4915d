//! What a serving process does every few seconds for conversations: renew
//! the leases of the replies it runs, end the replies of processes that
//! died (§5.4 `interrupted`), and announce presence that time changed
//! (§4.9, noticed within 5 s).

use std::sync::Arc;
use std::time::Duration;

use sybil_domain::Timestamp;
use sybil_domain::conversation::model::{ReplyError, ReplyStatus};
use sybil_ports::outbound::{FinishReason, ReplyEnd, StorageError};

use super::ConversationService;

/// How often the round runs: a lease is renewed, and a presence change
/// noticed, at most this long after it is due.
pub const MAINTENANCE_EVERY: Duration = Duration::from_secs(2);

/// A lease not renewed for this long belongs to a dead process. With the
/// round's period, a dead process's replies end within 10 s of its last
/// renewal.
const LEASE_LAPSES_AFTER: Duration = Duration::from_secs(8);

impl ConversationService {
    /// One round of maintenance.
    pub async fn maintain(&self) -> Result<(), StorageError> {
        let now = self.now();
        let store = &self.deps.store;
        store
            .renew_reply_leases(&self.deps.settings.owner, now)
            .await?;
        let before = Timestamp(now.millis() - LEASE_LAPSES_AFTER.as_millis() as i64);
        for reply in store.abandoned_replies(before).await? {
            let end = ReplyEnd {
                status: ReplyStatus::Error,
                finish_reason: FinishReason::Error,
                error: Some(ReplyError {
                    code: "interrupted".into(),
                    message: "the reply was interrupted".into(),
                }),
                usage: None,
                now,
            };
            // Of several processes that see it, one ends it.
            if store.finish_reply(&reply, end).await? {
                tracing::warn!(reply = %reply.id, "ended a reply whose process died");
            }
        }
        store
            .announce_presence(now, self.deps.settings.presence)
            .await
    }

    /// Runs `maintain` every `MAINTENANCE_EVERY` while the service lives.
    pub fn spawn_maintenance(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(service) = weak.upgrade() else { break };
                if let Err(e) = service.maintain().await {
                    tracing::warn!(error = %e, "conversation maintenance failed");
                }
                drop(service);
                tokio::time::sleep(MAINTENANCE_EVERY).await;
            }
        });
    }
}
