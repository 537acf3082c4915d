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

/// Retention runs one round in this many (once a minute).
const RETENTION_EVERY: u64 = 30;

impl ConversationService {
    /// One round of maintenance; every `RETENTION_EVERY`th also removes
    /// the events past their retention.
    pub async fn maintain(&self, round: u64) -> Result<(), StorageError> {
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
                error: Some(ReplyError::interrupted()),
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
            .await?;
        if round.is_multiple_of(RETENTION_EVERY) {
            let kept = self.deps.settings.stream_retention.as_millis() as i64;
            let removed = store
                .delete_events_before(Timestamp(now.millis() - kept))
                .await?;
            if removed > 0 {
                tracing::info!(removed, "old conversation events removed");
            }
        }
        Ok(())
    }

    /// Runs `maintain` every `MAINTENANCE_EVERY` while the service lives.
    pub fn spawn_maintenance(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut round: u64 = 0;
            loop {
                let Some(service) = weak.upgrade() else { break };
                if let Err(e) = service.maintain(round).await {
                    tracing::warn!(error = %e, "conversation maintenance failed");
                }
                drop(service);
                round += 1;
                tokio::time::sleep(MAINTENANCE_EVERY).await;
            }
        });
    }
}
