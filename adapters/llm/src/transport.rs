//! async-openai plumbing shared by the OpenAI and xAI providers.
//!
//! async-openai 0.43 does the request building, the BYOT JSON calls and the
//! SSE parsing, but on its own it (a) retries 429/5xx/connect errors 3 times
//! with its `OpenAIRetryLayer` (always installed by `Client::build` and
//! `with_http_client`, so DEPS.md's "no retries" no longer holds), (b) drops
//! response headers (no `x-request-id`), (c) turns non-OpenAI error bodies
//! (xAI's `{"code","error":"…"}`, HTML pages) into deserialization errors
//! without the status, and (d) reports a broken stream as a string. So each
//! call gets a client whose HTTP execution is our own tower service
//! (`with_http_service`, feature `middleware`), which replaces the SDK's
//! executor and its retry layer entirely:
//! - it runs `retry::send` (our policy, our spans, our error bodies);
//! - it records the request id header in a per-call `Probe`;
//! - it hands a non-success answer back as our `LlmError`, boxed in
//!   `OpenAIError::Boxed`, and `ErrorMapper::map` unboxes it;
//! - for streams it checks the content type and watches the body for the
//!   transport error behind a cut stream (timeout vs connection).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::{OpenAIError, StreamError};
use async_openai::middleware::HttpRequestFactory;
use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{LlmError, LlmFailure};

use crate::error::{Errors, chain};
use crate::redact::Redactor;
use crate::retry::{self, Target};
use crate::settings::{ProviderSettings, SetupError};

/// How a call reads its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One JSON body: the whole exchange is bounded by the timeout.
    Whole,
    /// An SSE stream: only connect and each read are bounded.
    Stream,
}

/// The long-lived part: one pooled reqwest client and the SDK configuration.
pub(crate) struct OaiClient {
    client: Client<OpenAIConfig>,
    http: reqwest::Client,
    errors: Errors,
    timeout: Duration,
}

impl OaiClient {
    pub(crate) fn new(provider: Provider, settings: &ProviderSettings) -> Result<Self, SetupError> {
        let http = settings.http_client(provider)?;
        // Organisation and project are set empty on purpose: `OpenAIConfig`
        // otherwise reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the process
        // environment and would send them (to xAI too).
        let config = OpenAIConfig::new()
            .with_api_base(settings.base())
            .with_api_key(settings.api_key.expose())
            .with_org_id("")
            .with_project_id("");
        Ok(OaiClient {
            client: Client::build(http.clone(), config),
            http,
            errors: Errors::new(provider, Redactor::new(settings.api_key.clone())),
            timeout: settings.timeout,
        })
    }

    pub(crate) fn errors(&self) -> &Errors {
        &self.errors
    }

    /// A client for one call, executing through our transport.
    pub(crate) fn call(&self, model: &str, operation: &'static str, mode: Mode) -> Call {
        let probe = Probe::default();
        let transport = Transport(Arc::new(TransportInner {
            http: self.http.clone(),
            errors: self.errors.clone(),
            model: model.to_string(),
            operation,
            mode,
            deadline: self.timeout,
            probe: probe.clone(),
        }));
        Call {
            client: self.client.clone().with_http_service(transport),
            errors: self.errors.clone(),
            probe,
        }
    }
}

/// One call's client and what the transport learnt during it.
pub(crate) struct Call {
    pub(crate) client: Client<OpenAIConfig>,
    errors: Errors,
    probe: Probe,
}

impl Call {
    /// The upstream request id header of the answer, once it arrived.
    pub(crate) fn request_id(&self) -> Option<String> {
        self.probe.request_id()
    }

    /// The error mapping of this call, for a stream that outlives `self`.
    pub(crate) fn mapper(&self) -> ErrorMapper {
        ErrorMapper {
            errors: self.errors.clone(),
            probe: self.probe.clone(),
        }
    }

    pub(crate) fn error(&self, error: OpenAIError) -> LlmError {
        self.mapper().map(error)
    }
}

/// Turns the SDK's errors back into ours.
#[derive(Clone)]
pub(crate) struct ErrorMapper {
    errors: Errors,
    probe: Probe,
}

impl ErrorMapper {
    pub(crate) fn errors(&self) -> &Errors {
        &self.errors
    }

    pub(crate) fn request_id(&self) -> Option<String> {
        self.probe.request_id()
    }

    pub(crate) fn map(&self, error: OpenAIError) -> LlmError {
        let errors = &self.errors;
        match error {
            OpenAIError::Boxed(boxed) => match boxed.downcast::<LlmError>() {
                Ok(ours) => *ours,
                Err(other) => errors.make(LlmFailure::Connection, &chain(&*other)),
            },
            OpenAIError::Reqwest(e) => errors.transport(&e),
            OpenAIError::JSONDeserialize(e, _) => {
                errors.malformed(&format!("the upstream sent invalid JSON: {e}"))
            }
            OpenAIError::StreamError(e) => match *e {
                StreamError::EventStream(text) => {
                    self.probe.take_body_error().unwrap_or_else(|| {
                        if text.starts_with("Transport error") {
                            errors.make(LlmFailure::Connection, &text)
                        } else {
                            errors.malformed(&format!(
                                "the upstream sent an invalid event stream: {text}"
                            ))
                        }
                    })
                }
                StreamError::UnknownEvent(_) => {
                    errors.malformed("the upstream sent an unknown event")
                }
            },
            // Not reached: the transport answers every non-success itself.
            OpenAIError::ApiError(api) => errors.make(
                LlmFailure::Status(api.status_code.as_u16()),
                &api.api_error.message,
            ),
            other => errors.make(LlmFailure::Connection, &other.to_string()),
        }
    }
}

#[cfg(test)]
impl ErrorMapper {
    /// A mapper outside any call, for decoder tests.
    pub(crate) fn for_tests(provider: Provider) -> Self {
        ErrorMapper {
            errors: Errors::new(
                provider,
                Redactor::new(sybil_domain::Secret::new("sk-test-key-000000")),
            ),
            probe: Probe::default(),
        }
    }
}

/// Facts the transport learns during a call, read by the provider.
#[derive(Clone, Default)]
pub(crate) struct Probe(Arc<Mutex<ProbeState>>);

#[derive(Default)]
struct ProbeState {
    request_id: Option<String>,
    body_error: Option<LlmError>,
}

impl Probe {
    fn with<T>(&self, f: impl FnOnce(&mut ProbeState) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn request_id(&self) -> Option<String> {
        self.with(|s| s.request_id.clone())
    }

    fn take_body_error(&self) -> Option<LlmError> {
        self.with(|s| s.body_error.take())
    }
}

/// Our tower service: the SDK's whole HTTP execution for one call.
#[derive(Clone)]
struct Transport(Arc<TransportInner>);

struct TransportInner {
    http: reqwest::Client,
    errors: Errors,
    model: String,
    operation: &'static str,
    mode: Mode,
    deadline: Duration,
    probe: Probe,
}

type TransportFuture = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = TransportFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move {
            inner
                .execute(factory)
                .await
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))
        })
    }
}

impl TransportInner {
    async fn execute(&self, factory: HttpRequestFactory) -> Result<reqwest::Response, LlmError> {
        let target = Target {
            errors: &self.errors,
            model: &self.model,
            operation: self.operation,
        };
        let response = retry::send(&self.http, &target, || self.build(factory.clone())).await?;
        let request_id = header(&response, "x-request-id");
        self.probe.with(|s| s.request_id = request_id);
        match self.mode {
            Mode::Whole => Ok(response),
            Mode::Stream => self.watch_stream(response).await,
        }
    }

    async fn build(&self, factory: HttpRequestFactory) -> Result<reqwest::Request, LlmError> {
        let mut request = factory.build().await.map_err(|e| {
            self.errors.make(
                LlmFailure::Connection,
                &format!("cannot build the request: {e}"),
            )
        })?;
        if self.mode == Mode::Whole {
            *request.timeout_mut() = Some(self.deadline);
        }
        if let Some(auth) = request.headers_mut().get_mut(AUTHORIZATION) {
            auth.set_sensitive(true);
        }
        Ok(request)
    }

    /// A 200 that is not an event stream (e.g. JSON because `stream` was not
    /// sent, or a proxy page) is `Malformed`; otherwise the body is passed on
    /// with its transport errors recorded, so a cut stream is told apart
    /// from a stalled one.
    async fn watch_stream(
        &self,
        response: reqwest::Response,
    ) -> Result<reqwest::Response, LlmError> {
        let content_type = header(&response, CONTENT_TYPE.as_str()).unwrap_or_default();
        if !content_type.is_empty() && !content_type.contains("text/event-stream") {
            return Err(self
                .errors
                .malformed(&format!("expected an event stream, got {content_type}")));
        }
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let probe = self.probe.clone();
        let errors = self.errors.clone();
        let body = response.bytes_stream().inspect(move |chunk| {
            if let Err(e) = chunk {
                let error = errors.transport(e);
                probe.with(|s| s.body_error = Some(error));
            }
        });
        let mut rebuilt = http::Response::builder().status(status).version(version);
        if let Some(h) = rebuilt.headers_mut() {
            *h = headers;
        }
        rebuilt
            .body(reqwest::Body::wrap_stream(body))
            .map(reqwest::Response::from)
            .map_err(|e| self.errors.make(LlmFailure::Connection, &e.to_string()))
    }
}

pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
