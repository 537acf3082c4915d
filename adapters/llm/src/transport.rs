//! async-openai plumbing shared by the OpenAI and xAI providers.
//!
//! async-openai 0.43 does the request building and the BYOT JSON calls, but
//! on its own it (a) retries 429/5xx/connect errors 3 times with its
//! `OpenAIRetryLayer` (always installed by `Client::build` and
//! `with_http_client`, so DEPS.md's "no retries" no longer holds), (b) drops
//! response headers (no `x-request-id`), (c) turns non-OpenAI error bodies
//! (xAI's `{"code","error":"…"}`, HTML pages) into deserialization errors
//! without the status, and (d) reads streams on a spawned task into an
//! unbounded channel (no backpressure). So each JSON call gets a client whose
//! HTTP execution is our own tower service (`with_http_service`, feature
//! `middleware`), which replaces the SDK's executor and its retry layer:
//! - it runs `retry::send` (our policy, our spans, our error bodies);
//! - it records the request id header in a per-call `Probe`;
//! - it hands a non-success answer back as our `LlmError`, boxed in
//!   `OpenAIError::Boxed`, and `Call::error` unboxes it.
//!
//! Streams skip the SDK: `OaiClient::stream` posts the same JSON body through
//! `retry::send` and reads the answer with `sse`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::Value;
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{LlmError, LlmFailure};

use crate::error::{Errors, chain};
use crate::redact::Redactor;
use crate::retry::{self, Target};
use crate::settings::{ProviderSettings, SetupError};
use crate::sse::{self, Payloads};

/// The long-lived part: one pooled reqwest client and the SDK configuration.
pub(crate) struct OaiClient {
    client: Client<OpenAIConfig>,
    http: reqwest::Client,
    base: String,
    /// `Bearer <key>`, marked sensitive so no header dump shows it.
    auth: HeaderValue,
    errors: Errors,
    timeout: Duration,
}

impl OaiClient {
    pub(crate) fn new(provider: Provider, settings: &ProviderSettings) -> Result<Self, SetupError> {
        let http = settings.http_client(provider)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", settings.api_key.expose()))
            .map_err(|_| SetupError {
                provider,
                message: "the API key is not a valid header value".into(),
            })?;
        auth.set_sensitive(true);
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
            base: settings.base(),
            auth,
            errors: Errors::new(provider, Redactor::new(settings.api_key.clone())),
            timeout: settings.timeout,
        })
    }

    pub(crate) fn errors(&self) -> &Errors {
        &self.errors
    }

    /// A client for one JSON call, executing through our transport.
    pub(crate) fn call(&self, model: &str, operation: &'static str) -> Call {
        let probe = Probe::default();
        let transport = Transport(Arc::new(TransportInner {
            http: self.http.clone(),
            errors: self.errors.clone(),
            model: model.to_string(),
            operation,
            deadline: self.timeout,
            probe: probe.clone(),
        }));
        Call {
            client: self.client.clone().with_http_service(transport),
            errors: self.errors.clone(),
            probe,
        }
    }

    /// Opens a stream: posts `body` to `{base}{path}` under the retry policy
    /// and returns its `wanted` event payloads and the upstream request id. No
    /// whole-exchange deadline (a stream lasts as long as the answer); the
    /// client's read timeout still bounds every silence.
    pub(crate) async fn stream(
        &self,
        model: &str,
        operation: &'static str,
        path: &str,
        body: &Value,
        wanted: fn(&str) -> bool,
    ) -> Result<(Payloads, Option<String>), LlmError> {
        let url = format!("{}{path}", self.base);
        let target = Target {
            errors: &self.errors,
            model,
            operation,
        };
        let response = retry::send(&self.http, &target, || {
            let request = self
                .http
                .post(&url)
                .header(AUTHORIZATION, self.auth.clone())
                .json(body)
                .build()
                .map_err(|e| {
                    self.errors.make(
                        LlmFailure::Connection,
                        &format!("cannot build the request: {e}"),
                    )
                });
            std::future::ready(request)
        })
        .await?;
        let request_id = header(&response, "x-request-id");
        Ok((
            sse::payloads(response, self.errors.clone(), wanted)?,
            request_id,
        ))
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

    /// Turns the SDK's errors back into ours.
    pub(crate) fn error(&self, error: OpenAIError) -> LlmError {
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
            // Not reached: the transport answers every non-success itself.
            OpenAIError::ApiError(api) => errors.make(
                LlmFailure::Status(api.status_code.as_u16()),
                &api.api_error.message,
            ),
            other => errors.make(LlmFailure::Connection, &other.to_string()),
        }
    }
}

/// Facts the transport learns during a call, read by the provider.
#[derive(Clone, Default)]
pub(crate) struct Probe(Arc<Mutex<ProbeState>>);

#[derive(Default)]
struct ProbeState {
    request_id: Option<String>,
}

impl Probe {
    fn with<T>(&self, f: impl FnOnce(&mut ProbeState) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn request_id(&self) -> Option<String> {
        self.with(|s| s.request_id.clone())
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
        Ok(response)
    }

    async fn build(&self, factory: HttpRequestFactory) -> Result<reqwest::Request, LlmError> {
        let mut request = factory.build().await.map_err(|e| {
            self.errors.make(
                LlmFailure::Connection,
                &format!("cannot build the request: {e}"),
            )
        })?;
        *request.timeout_mut() = Some(self.deadline);
        if let Some(auth) = request.headers_mut().get_mut(AUTHORIZATION) {
            auth.set_sensitive(true);
        }
        Ok(request)
    }
}

pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
