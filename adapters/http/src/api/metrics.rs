//! `GET /metrics`.

use poem_openapi::{ApiResponse, OpenApi, payload::PlainText};

use super::ApiTags;

pub struct MetricsApi;

#[derive(ApiResponse)]
enum MetricsResponse {
    /// Prometheus text exposition format, with `# HELP` and `# TYPE` lines.
    #[oai(status = 200)]
    Text(PlainText<String>),
}

#[OpenApi]
impl MetricsApi {
    /// Metrics
    ///
    /// Requests and latency by route template, method and status; upstream
    /// calls and latency by provider and outcome; tool calls by tool and
    /// status; open streams.
    #[oai(path = "/metrics", method = "get", tag = "ApiTags::Health")]
    async fn metrics(&self) -> MetricsResponse {
        MetricsResponse::Text(PlainText(sybil_metrics::render()))
    }
}
