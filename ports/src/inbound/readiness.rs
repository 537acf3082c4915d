//! Readiness (`GET /readyz`): whether the server can do its work right now.

use async_trait::async_trait;

use crate::outbound::StorageError;

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ReadinessCheck: Send + Sync {
    /// Answers when storage answers a trivial query.
    ///
    /// # Errors
    /// `StorageError` when storage does not answer (within the pool's 5 s
    /// acquire timeout) or refuses the query.
    async fn check(&self) -> Result<(), StorageError>;
}
