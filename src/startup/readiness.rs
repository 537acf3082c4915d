//! Readiness over storage: ready when the database answers, in time.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sybil_ports::inbound::ReadinessCheck;
use sybil_ports::outbound::{ChatRepository, StorageError};

/// Load balancers probe often and give up soon: a database that has not
/// answered by then counts as unreachable.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

pub struct StorageReadiness(pub Arc<dyn ChatRepository>);

#[async_trait]
impl ReadinessCheck for StorageReadiness {
    async fn check(&self) -> Result<(), StorageError> {
        tokio::time::timeout(READINESS_TIMEOUT, self.0.ping())
            .await
            .unwrap_or_else(|_| {
                Err(StorageError::Unavailable(format!(
                    "the database did not answer within {} s",
                    READINESS_TIMEOUT.as_secs()
                )))
            })
    }
}
