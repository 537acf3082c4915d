//! async-openai, the OpenAI and xAI client: the providers build its typed
//! requests, which are sent with its configuration (URL, headers); its
//! errors are mapped here, once.
//!
//! What the SDK (0.43) does not do Sybil's way, and what is done instead.
//! This is the one place these workarounds live:
//! 1. Retries. `Client::build` and `with_http_client` always install its
//!    `OpenAIRetryLayer` (3 retries of its own choosing, on top of the
//!    contract's bound of 2). Every request goes out under the policy every
//!    upstream shares (`crate::upstream`): the SDK's own calls (the model
//!    list) through `Transport` (`with_http_service`, feature `middleware`).
//! 2. Error bodies. The SDK reads a failed answer as OpenAI's envelope only:
//!    xAI's `{"code","error"}` and proxy pages become deserialization errors
//!    without the status. The shared policy reads them; through the SDK's
//!    client the `LlmError` travels in `OpenAIError::Boxed`, and
//!    `Sdk::error` takes it out again.
//! 3. The request id. The SDK drops the answer's headers.
//! 4. Streams. The SDK reads an event stream on a spawned task into an
//!    unbounded channel, with a parser that copies its buffer per line: no
//!    backpressure, and more memory and time per stream.
//! 5. Per-call cost. A call through the SDK's client clones the client,
//!    formats and parses its URL and rebuilds its headers every time, and
//!    grows the body's buffer as it writes: a tenth of the gateway's own
//!    time at concurrency 64.
//!
//! So completions and streams are sent by `post` and `stream`: the SDK's
//! typed body serialised once, to the SDK's URL parsed and its headers
//! built at start-up, reading `x-request-id` and, for a stream, the events
//! with `sse`. Answers come back as the raw JSON text (`Box<RawValue>`, or
//! `Value` for the model list through BYOT), which each provider reads into
//! only the fields Sybil uses: the SDK's typed responses would parse
//! everything and fail on output items they do not know.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::{Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;
use serde_json::value::RawValue;
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
/// 1): `client` gives it `Transport`.
pub(crate) struct Sdk {
    client: Client<OpenAIConfig>,
    http: reqwest::Client,
    /// The SDK's headers (key, content type), built once.
    headers: HeaderMap,
    /// The SDK's URL that `post` and `stream` send to, parsed once.
    endpoint: reqwest::Url,
    errors: Errors,
    timeout: Duration,
}

impl Sdk {
    /// `path`: where completions and streams go, under the base URL.
    pub(crate) fn new(
        provider: Provider,
        settings: &ProviderSettings,
        path: &str,
    ) -> Result<Self, SetupError> {
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
        let endpoint = reqwest::Url::parse(&config.url(path)).map_err(|e| SetupError {
            provider,
            message: format!("the base URL gives no valid URL for {path}: {e}"),
        })?;
        let mut headers = config.headers();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(auth) = headers.get_mut(AUTHORIZATION) {
            // Keeps the key out of any header dump (hyper, reqwest).
            auth.set_sensitive(true);
        }
        Ok(Sdk {
            client: Client::build(http.clone(), config),
            http,
            headers,
            endpoint,
            errors: Errors::new(provider, Redactor::new(settings.api_key.clone())),
            timeout: settings.timeout,
        })
    }

    pub(crate) fn errors(&self) -> &Errors {
        &self.errors
    }

    /// The SDK's client for one call it makes itself (the model list),
    /// executing through `Transport` with the per-call deadline.
    pub(crate) fn client(&self, operation: &'static str) -> Client<OpenAIConfig> {
        let transport = Transport(Arc::new(TransportInner {
            http: self.http.clone(),
            errors: self.errors.clone(),
            operation,
            deadline: self.timeout,
        }));
        self.client.clone().with_http_service(transport)
    }

    /// POSTs `body` to the endpoint and returns the answer's JSON text and
    /// request id, within the per-call deadline.
    pub(crate) async fn post(
        &self,
        model: &str,
        operation: &'static str,
        body: &impl Serialize,
    ) -> Result<(Box<RawValue>, Option<String>), LlmError> {
        let request = self.request(body, Some(self.timeout))?;
        let response = self.send(model, operation, request).await?;
        let request_id = header(&response, REQUEST_ID);
        let raw = crate::upstream::read_json(response, &self.errors).await?;
        Ok((raw, request_id))
    }

    /// Opens a stream: POSTs `body` to the endpoint and returns its
    /// `wanted` event payloads and the request id. No whole-exchange
    /// deadline (a stream lasts as long as the answer); the client's read
    /// timeout still bounds every silence.
    pub(crate) async fn stream(
        &self,
        model: &str,
        operation: &'static str,
        body: &impl Serialize,
        wanted: fn(&str) -> bool,
    ) -> Result<(Payloads, Option<String>), LlmError> {
        let request = self.request(body, None)?;
        let response = self.send(model, operation, request).await?;
        let request_id = header(&response, REQUEST_ID);
        Ok((
            sse::payloads(response, self.errors.clone(), wanted)?,
            request_id,
        ))
    }

    /// The request `post` and `stream` send (and resend on a retry).
    fn request(
        &self,
        body: &impl Serialize,
        deadline: Option<Duration>,
    ) -> Result<Prepared, LlmError> {
        // Bodies are a few hundred bytes to a few kilobytes: one
        // allocation for the usual case instead of a dozen regrowths.
        let mut json = Vec::with_capacity(2048);
        serde_json::to_writer(&mut json, body)
            .map_err(|e| self.error(OpenAIError::InvalidArgument(e.to_string())))?;
        Ok(Prepared {
            url: self.endpoint.clone(),
            body: Bytes::from(json),
            deadline,
        })
    }

    async fn send(
        &self,
        model: &str,
        operation: &'static str,
        request: Prepared,
    ) -> Result<reqwest::Response, LlmError> {
        crate::upstream::send(&self.http, &self.errors, model, operation, || {
            let mut built = reqwest::Request::new(Method::POST, request.url.clone());
            *built.headers_mut() = self.headers.clone();
            *built.body_mut() = Some(request.body.clone().into());
            *built.timeout_mut() = request.deadline;
            std::future::ready(Ok(built))
        })
        .await
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
}

/// A request body and where it goes, ready to be (re)sent.
struct Prepared {
    url: reqwest::Url,
    body: Bytes,
    deadline: Option<Duration>,
}

/// The SDK's whole HTTP execution for a call it makes (workarounds 1, 2).
#[derive(Clone)]
struct Transport(Arc<TransportInner>);

struct TransportInner {
    http: reqwest::Client,
    errors: Errors,
    operation: &'static str,
    deadline: Duration,
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
        crate::upstream::send(&self.http, &self.errors, "", self.operation, || {
            self.build(&factory)
        })
        .await
    }

    async fn build(&self, factory: &HttpRequestFactory) -> Result<reqwest::Request, LlmError> {
        let mut request = factory.build().await.map_err(|e| {
            self.errors.make(
                LlmFailure::Connection,
                &format!("cannot build the request: {e}"),
            )
        })?;
        *request.timeout_mut() = Some(self.deadline);
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
        Sdk::new(Provider::Xai, &settings, "/chat/completions").unwrap()
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
        assert!(Sdk::new(Provider::OpenAi, &settings, "/responses").is_err());
    }
}
