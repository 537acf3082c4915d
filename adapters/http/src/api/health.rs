//! `GET /health` (liveness) and `GET /readyz` (readiness: storage answers).

use std::sync::Arc;

use poem_openapi::{ApiResponse, OpenApi, payload::Json};
use sybil_ports::inbound::ReadinessCheck;

use super::ApiTags;
use crate::dto::responses::HealthBody;
use crate::error::ErrorBody;

pub struct HealthApi {
    readiness: Arc<dyn ReadinessCheck>,
}

impl HealthApi {
    pub fn new(readiness: Arc<dyn ReadinessCheck>) -> Self {
        HealthApi { readiness }
    }
}

#[derive(ApiResponse)]
enum NotReady {
    /// Storage does not answer.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

#[OpenApi]
impl HealthApi {
    /// Liveness
    ///
    /// Answers while the process is up; it does not touch storage.
    #[oai(path = "/health", method = "get", tag = "ApiTags::Health")]
    async fn health(&self) -> Json<HealthBody> {
        Json(HealthBody { ok: true })
    }

    /// Readiness
    ///
    /// 200 when storage answers a trivial query, 503 when it does not (after
    /// at most 5 s). For load balancers and orchestrators.
    #[oai(path = "/readyz", method = "get", tag = "ApiTags::Health")]
    async fn readyz(&self) -> Result<Json<HealthBody>, NotReady> {
        match self.readiness.check().await {
            Ok(()) => Ok(Json(HealthBody { ok: true })),
            Err(e) => {
                tracing::warn!(error = %e, "not ready: storage does not answer");
                Err(NotReady::Unavailable(Json(ErrorBody {
                    message: "storage unavailable".into(),
                })))
            }
        }
    }
}
