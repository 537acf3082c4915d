//! The HTTP/1.1 server: accept loop, request recording, dispatch to the provider fakes.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::answer::Body;
use crate::body::{AbortGuard, HttpBody, respond};
use crate::state::{Recorded, State};
use crate::{FakeKind, anthropic, openai, xai};

/// Serve `state` on `listener` until the returned task is aborted.
pub(crate) fn spawn(listener: TcpListener, state: Arc<State>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(state.clone(), req));
                // Errors here are client hang-ups or deliberate drops/cuts: nothing to do.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> io::Result<Response<HttpBody>> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let recorded = record(&parts, &bytes);
    state.record(recorded.clone());

    let answer = match state.kind {
        FakeKind::OpenAi => openai::route(&state, &recorded),
        FakeKind::Xai => xai::route(&state, &recorded),
        FakeKind::Anthropic => anthropic::route(&state, &recorded),
    };
    let guard = AbortGuard::new(state.aborted.clone(), answer.generation);
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    if matches!(answer.body, Body::Hang) {
        // Dropped (guard included) when the client hangs up.
        std::future::pending::<()>().await;
    }
    respond(answer, guard, &state.streamed)
}

fn record(parts: &hyper::http::request::Parts, body: &Bytes) -> Recorded {
    let mut headers: HashMap<String, String> = HashMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    Recorded {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
    }
}
