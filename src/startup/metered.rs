//! Decorators that record every upstream call in the metrics (count and
//! latency by provider and outcome): the LLM providers' generation calls,
//! whole or streamed, and Exa's search and answer calls.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use sybil_domain::Provider;
use sybil_metrics::{UpstreamOutcome, record_upstream_call};
use sybil_ports::outbound::{
    ExaAnswerResponse, ExaApi, ExaSearchRequest, ExaSearchResponse, LlmError, LlmProvider,
    LlmRequest, LlmResponse, LlmStreamEvent, ToolError,
};

fn outcome<T, E>(result: &Result<T, E>) -> UpstreamOutcome {
    match result {
        Ok(_) => UpstreamOutcome::Ok,
        Err(_) => UpstreamOutcome::Error,
    }
}

/// An LLM provider whose generation calls are recorded. Model list loads
/// are not: they run in the background, not for a client.
pub struct MeteredProvider(pub Arc<dyn LlmProvider>);

/// One streamed call until it completes, fails, or is dropped unfinished
/// (recorded as `stopped`: the client went away).
struct StreamTimer {
    provider: &'static str,
    started: Instant,
    done: bool,
}

impl StreamTimer {
    fn observe(&mut self, item: &Result<LlmStreamEvent, LlmError>) {
        let finished = match item {
            Ok(LlmStreamEvent::Completed(_)) => UpstreamOutcome::Ok,
            Err(_) => UpstreamOutcome::Error,
            Ok(LlmStreamEvent::TextDelta(_)) => return,
        };
        if !self.done {
            self.done = true;
            record_upstream_call(self.provider, finished, self.started.elapsed());
        }
    }
}

impl Drop for StreamTimer {
    fn drop(&mut self) {
        if !self.done {
            record_upstream_call(
                self.provider,
                UpstreamOutcome::Stopped,
                self.started.elapsed(),
            );
        }
    }
}

#[async_trait]
impl LlmProvider for MeteredProvider {
    fn provider(&self) -> Provider {
        self.0.provider()
    }

    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let started = Instant::now();
        let result = self.0.complete(request).await;
        record_upstream_call(
            self.provider().as_str(),
            outcome(&result),
            started.elapsed(),
        );
        result
    }

    async fn stream(
        &self,
        request: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError> {
        let mut timer = StreamTimer {
            provider: self.provider().as_str(),
            started: Instant::now(),
            done: false,
        };
        let stream = match self.0.stream(request).await {
            Ok(stream) => stream,
            Err(e) => {
                timer.observe(&Err(e.clone()));
                return Err(e);
            }
        };
        Ok(stream
            .map(move |item| {
                timer.observe(&item);
                item
            })
            .boxed())
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        self.0.list_models().await
    }
}

/// Exa's endpoints of the searches feature, recorded as provider `exa`.
pub struct MeteredExa(pub Arc<dyn ExaApi>);

#[async_trait]
impl ExaApi for MeteredExa {
    async fn search(&self, request: &ExaSearchRequest) -> Result<ExaSearchResponse, ToolError> {
        let started = Instant::now();
        let result = self.0.search(request).await;
        record_upstream_call("exa", outcome(&result), started.elapsed());
        result
    }

    async fn answer(&self, query: &str) -> Result<ExaAnswerResponse, ToolError> {
        let started = Instant::now();
        let result = self.0.answer(query).await;
        record_upstream_call("exa", outcome(&result), started.elapsed());
        result
    }
}
