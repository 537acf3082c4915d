//! What an LLM fake does with a request: the provider's routes decide the
//! answer, then it goes out with its delay, hang-up detection and framing.

use std::io;
use std::sync::Arc;

use hyper::Response;

use crate::answer::Body;
use crate::body::{AbortGuard, HttpBody, respond};
use crate::server::Handler;
use crate::state::{Recorded, State};
use crate::{FakeKind, anthropic, openai, xai};

/// The handler of a fake with this state.
pub(crate) fn handler(state: Arc<State>) -> Handler {
    Arc::new(move |recorded| Box::pin(handle(state.clone(), recorded)))
}

async fn handle(state: Arc<State>, recorded: Recorded) -> io::Result<Response<HttpBody>> {
    let answer = match state.kind {
        FakeKind::OpenAi => openai::route(&state, &recorded),
        FakeKind::Xai => xai::route(&state, &recorded),
        FakeKind::Anthropic => anthropic::route(&state, &recorded),
    };
    let guard = AbortGuard::new(state.aborted.clone(), answer.generation);
    if !answer.delay.is_zero() {
        // Simulation: an upstream slow to answer (`Reply::with_delay`).
        tokio::time::sleep(answer.delay).await;
    }
    if matches!(answer.body, Body::Hang) {
        // Dropped (guard included) when the client hangs up.
        std::future::pending::<()>().await;
    }
    respond(answer, guard, &state.streamed)
}
