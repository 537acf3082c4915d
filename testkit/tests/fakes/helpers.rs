//! A reqwest client for the fakes.

use serde_json::Value;
use sybil_testkit::{FakeKind, FakeLlm};

/// POST `body` to the generation endpoint with the right headers for `fake`.
pub async fn generate(fake: &FakeLlm, body: Value) -> reqwest::Response {
    send(fake, body, &fake.api_key())
        .await
        .expect("request reaches the fake")
}

/// Like [`generate`] with any key, returning the transport result.
pub async fn send(fake: &FakeLlm, body: Value, key: &str) -> reqwest::Result<reqwest::Response> {
    let client = reqwest::Client::new();
    let base = fake.base_url();
    let req = match fake.kind() {
        FakeKind::OpenAi => client.post(format!("{base}/responses")).bearer_auth(key),
        FakeKind::Xai => client
            .post(format!("{base}/chat/completions"))
            .bearer_auth(key),
        FakeKind::Anthropic => client
            .post(format!("{base}/v1/messages"))
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01"),
    };
    req.json(&body).send().await
}

/// GET the models endpoint.
pub async fn models(fake: &FakeLlm, query: &str) -> reqwest::Response {
    let client = reqwest::Client::new();
    let base = fake.base_url();
    let req = match fake.kind() {
        FakeKind::Anthropic => client
            .get(format!("{base}/v1/models{query}"))
            .header("x-api-key", fake.api_key())
            .header("anthropic-version", "2023-06-01"),
        _ => client
            .get(format!("{base}/models{query}"))
            .bearer_auth(fake.api_key()),
    };
    req.send().await.expect("models request")
}
