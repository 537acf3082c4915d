//! Readiness over storage: ready when the database answers.

use std::sync::Arc;

use async_trait::async_trait;
use sybil_ports::inbound::ReadinessCheck;
use sybil_ports::outbound::{ChatRepository, StorageError};

pub struct StorageReadiness(pub Arc<dyn ChatRepository>);

#[async_trait]
impl ReadinessCheck for StorageReadiness {
    async fn check(&self) -> Result<(), StorageError> {
        self.0.ping().await
    }
}
