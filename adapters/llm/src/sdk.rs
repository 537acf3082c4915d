//! async-openai, the OpenAI and xAI client: the providers build its typed
//! requests and call through its client; its errors are mapped here, once.
//!
//! What the SDK (0.43) does not do Sybil's way, and what is done instead.
//! This is the one place these workarounds live:
//! 1. Retries. `Client::build` and `with_http_client` always install its
//!    `OpenAIRetryLayer` (3 retries of its own choosing, on top of the
//!    contract's bound of 2). The client's HTTP execution is replaced
//!    with `Transport` (`with_http_service`, feature `middleware`), which
//!    sends under the policy every upstream shares (`crate::upstream`).
//! 2. Error bodies. The SDK reads a failed answer as OpenAI's envelope only:
//!    xAI's `{"code","error"}` and proxy pages become deserialization errors
//!    without the status. `Transport` reads them itself and hands the
//!    `LlmError` through the SDK in `OpenAIError::Boxed`; `Sdk::error`
//!    takes it out again.
//! 3. The request id. The SDK drops the answer's headers, so `Transport`
//!    keeps `x-request-id` for the call that asked (`Call::request_id`).
//! 4. Streams. The SDK reads an event stream on a spawned task into an
//!    unbounded channel, with a parser that copies its buffer per line: no
//!    backpressure, and more memory and time per stream. So a stream is
//!    opened with the SDK's request (its configured URL and headers, the
//!    typed body) sent through the same `Transport`, and read by `sse`.
//!
//! Non-streamed answers come back through BYOT as the raw JSON text
//! (`Box<RawValue>` or `Value`), which each provider reads into only the
//! fields Sybil uses: the SDK's typed responses would parse everything and
//! fail on output items they do not know.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::{Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{LlmError, LlmFailure};
use sybil_upstream::{chain, header};

use crate::error::Errors;
use crate::redact::Redactor;
use crate::settings::{ProviderSettings, SetupError};
use crate::sse::{self, Payloads};

/// The header OpenAI and xAI name their request ids with.
const REQUEST_ID: &str = "x-request-id";

/// The long-lived part: the SDK client and one pooled reqwest client. The
/// SDK client is never called as it is (its executor retries, workaround
/// 1): `call` and `stream` use it with `Transport` or for its configuration.
pub(crate) struct Sdk {
    client: Client<OpenAIConfig>,
    http: reqwest::Client,
    errors: Errors,
    timeout: Duration,
}

impl Sdk {
    pub(crate) fn new(provider: Provider, settings: &ProviderSettings) -> Result<Self, SetupError> {
        let http = settings.http_client(provider)?;
        if HeaderValue::from_str(&format!("Bearer {}", settings.api_key.expose())).is_err() {
            // The SDK would panic on it when building the first request.
            return Err(SetupError {
                provider,
                message: "the API key is not a valid header value".into(),
            });
        }
        // Organisation and project are set empty on purpose: `OpenAIConfig`
        // otherwise reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the process
        // environment and would send them (to xAI too).
        let config = OpenAIConfig::new()
            .with_api_base(settings.base())
            .with_api_key(settings.api_key.expose())
            .with_org_id("")
            .with_project_id("");
        Ok(Sdk {
            client: Client::build(http.clone(), config),
            http,
            errors: Errors::new(provider, Redactor::new(settings.api_key.clone())),
            timeout: settings.timeout,
        })
    }

    pub(crate) fn errors(&self) -> &Errors {
        &self.errors
    }

    /// A client for one call answered in one body, executing through
    /// `Transport` with the per-call deadline.
    pub(crate) fn call(&self, model: &str, operation: &'static str) -> Call {
        let transport = self.transport(model, operation, Some(self.timeout));
        Call {
            request_id: transport.0.request_id.clone(),
            client: self.client.clone().with_http_service(transport),
        }
    }

    /// Opens a stream: POSTs `body` to the SDK's URL for `path` through
    /// `Transport` and returns its `wanted` event payloads and the request
    /// id. No whole-exchange deadline (a stream lasts as long as the
    /// answer); the client's read timeout still bounds every silence.
    pub(crate) async fn stream(
        &self,
        model: &str,
        operation: &'static str,
        path: &str,
        body: &impl Serialize,
        wanted: fn(&str) -> bool,
    ) -> Result<(Payloads, Option<String>), LlmError> {
        let body = serde_json::to_vec(body)
            .map(Bytes::from)
            .map_err(|e| self.error(OpenAIError::InvalidArgument(e.to_string())))?;
        let config = self.client.config();
        let (url, headers) = (config.url(path), config.headers());
        let http = self.http.clone();
        let factory = HttpRequestFactory::new(move || {
            let request = http
                .post(&url)
                .headers(headers.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone())
                .build();
            std::future::ready(request.map_err(OpenAIError::Reqwest))
        });
        let transport = self.transport(model, operation, None);
        let response = transport.0.execute(factory).await?;
        let request_id = header(&response, REQUEST_ID);
        Ok((
            sse::payloads(response, self.errors.clone(), wanted)?,
            request_id,
        ))
    }

    /// The SDK's error as ours: the one mapping of `OpenAIError`.
    pub(crate) fn error(&self, error: OpenAIError) -> LlmError {
        let errors = &self.errors;
        match error {
            // What `Transport` answered (workaround 2).
            OpenAIError::Boxed(boxed) => match boxed.downcast::<LlmError>() {
                Ok(ours) => *ours,
                Err(other) => errors.make(LlmFailure::Connection, &chain(&*other)),
            },
            // The body of a success broke off.
            OpenAIError::Reqwest(e) => errors.transport(&e),
            OpenAIError::JSONDeserialize(e, _) => {
                errors.malformed(&format!("the upstream sent invalid JSON: {e}"))
            }
            // Not reached: `Transport` answers every non-success itself.
            OpenAIError::ApiError(api) => errors.make(
                LlmFailure::Status(api.status_code.as_u16()),
                &api.api_error.message,
            ),
            // A request the SDK could not build or serialise.
            other => errors.make(
                LlmFailure::Connection,
                &format!("cannot build the request: {other}"),
            ),
        }
    }

    fn transport(
        &self,
        model: &str,
        operation: &'static str,
        deadline: Option<Duration>,
    ) -> Transport {
        Transport(Arc::new(TransportInner {
            http: self.http.clone(),
            errors: self.errors.clone(),
            model: model.to_string(),
            operation,
            deadline,
            request_id: Arc::default(),
        }))
    }
}

/// One call's SDK client and the request id its answer carried.
pub(crate) struct Call {
    pub(crate) client: Client<OpenAIConfig>,
    request_id: Arc<OnceLock<String>>,
}

impl Call {
    /// The upstream request id header of the answer, once it arrived
    /// (workaround 3).
    pub(crate) fn request_id(&self) -> Option<String> {
        self.request_id.get().cloned()
    }
}

/// The SDK's whole HTTP execution for one call (workarounds 1 to 3).
#[derive(Clone)]
struct Transport(Arc<TransportInner>);

struct TransportInner {
    http: reqwest::Client,
    errors: Errors,
    model: String,
    operation: &'static str,
    deadline: Option<Duration>,
    request_id: Arc<OnceLock<String>>,
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
        let response = crate::upstream::send(
            &self.http,
            &self.errors,
            &self.model,
            self.operation,
            || self.build(&factory),
        )
        .await?;
        if let Some(id) = header(&response, REQUEST_ID) {
            let _ = self.request_id.set(id);
        }
        Ok(response)
    }

    async fn build(&self, factory: &HttpRequestFactory) -> Result<reqwest::Request, LlmError> {
        let mut request = factory.build().await.map_err(|e| {
            self.errors.make(
                LlmFailure::Connection,
                &format!("cannot build the request: {e}"),
            )
        })?;
        *request.timeout_mut() = self.deadline;
        // Keeps the key out of any header dump (hyper, reqwest).
        if let Some(auth) = request.headers_mut().get_mut(AUTHORIZATION) {
            auth.set_sensitive(true);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sybil_domain::Secret;

    fn sdk() -> Sdk {
        let settings = ProviderSettings {
            api_key: Secret::new("the-key-0000"),
            base_url: "http://127.0.0.1:1/v1".into(),
            timeout: Duration::from_secs(1),
        };
        Sdk::new(Provider::Xai, &settings).unwrap()
    }

    #[test]
    fn our_error_comes_back_out_of_the_sdk_unchanged() {
        let ours = sdk()
            .errors()
            .make(LlmFailure::Status(400), "Incorrect key");
        let back = sdk().error(OpenAIError::Boxed(Box::new(ours.clone())));
        assert_eq!(back, ours);
    }

    #[test]
    fn the_sdk_own_errors_are_mapped_and_redacted() {
        let bad_json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let e = sdk().error(OpenAIError::JSONDeserialize(bad_json, "{".into()));
        assert_eq!(e.failure, LlmFailure::Malformed);
        let e = sdk().error(OpenAIError::InvalidArgument("key the-key-0000".into()));
        assert_eq!(e.failure, LlmFailure::Connection);
        assert_eq!(
            e.message,
            "cannot build the request: invalid args: key [redacted]"
        );
    }

    #[test]
    fn a_key_that_is_no_header_value_is_a_setup_error() {
        let settings = ProviderSettings {
            api_key: Secret::new("bad\nkey"),
            base_url: "http://127.0.0.1:1/v1".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(Sdk::new(Provider::OpenAi, &settings).is_err());
    }
}
