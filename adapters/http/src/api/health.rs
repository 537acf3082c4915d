//! `GET /health`.

use poem_openapi::{OpenApi, payload::Json};

use super::ApiTags;
use crate::dto::responses::HealthBody;

pub struct HealthApi;

#[OpenApi]
impl HealthApi {
    /// Liveness
    ///
    /// Answers while the process is up; it does not touch storage.
    #[oai(path = "/health", method = "get", tag = "ApiTags::Health")]
    async fn health(&self) -> Json<HealthBody> {
        Json(HealthBody { ok: true })
    }
}
