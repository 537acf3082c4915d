//! Shared helpers: settings for a fake, requests, and stream collection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::BoxStream;
use sybil_domain::{Attachment, Secret};
use sybil_llm::ProviderSettings;
use sybil_ports::outbound::llm::{
    LlmError, LlmRequest, LlmResponse, LlmStreamEvent, PromptMessage, PromptRole, ToolCall,
    ToolRound, ToolSpec,
};
use sybil_testkit::FakeLlm;

/// A timeout short enough for a test, long enough for a loaded CI machine.
pub const SHORT_TIMEOUT: Duration = Duration::from_millis(800);
/// A silence that outlasts `SHORT_TIMEOUT`.
pub const BEYOND_TIMEOUT: Duration = Duration::from_millis(2500);
pub const INSTRUCTIONS: &str = "You are Sybil.";
/// A 1×1 PNG.
pub const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

pub fn settings(fake: &FakeLlm) -> ProviderSettings {
    settings_with(fake, &fake.api_key(), Duration::from_secs(10))
}

pub fn settings_with(fake: &FakeLlm, key: &str, timeout: Duration) -> ProviderSettings {
    ProviderSettings {
        api_key: Secret::new(key),
        base_url: fake.base_url(),
        timeout,
    }
}

pub fn user(text: &str) -> PromptMessage {
    PromptMessage {
        role: PromptRole::User,
        content: text.into(),
        attachments: vec![],
    }
}

pub fn request(model: &str) -> LlmRequest {
    LlmRequest {
        model: model.into(),
        instructions: INSTRUCTIONS.into(),
        messages: vec![user("Hi")],
        temperature: None,
        max_tokens: None,
        tools: Arc::default(),
        rounds: vec![],
    }
}

pub fn with_attachments(model: &str) -> LlmRequest {
    let mut r = request(model);
    r.messages = vec![PromptMessage {
        role: PromptRole::User,
        content: "What is in these?".into(),
        attachments: vec![
            Attachment::Text {
                id: "a1".into(),
                filename: "notes.md".into(),
                mime_type: "text/markdown".into(),
                size_bytes: 7,
                text: "# Notes".into(),
                truncated: false,
            },
            Attachment::Image {
                id: "a2".into(),
                filename: "dot.png".into(),
                mime_type: "image/png".into(),
                size_bytes: 70,
                data_url: format!("data:image/png;base64,{PNG_BASE64}"),
            },
        ],
    }];
    r
}

pub fn web_search() -> ToolSpec {
    ToolSpec {
        name: "web_search".into(),
        description: "Search the web".into(),
        parameters: serde_json::json!({
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"]
        }),
    }
}

/// The round that answers `calls` (from `answer`) with `outputs`.
pub fn round(answer: &LlmResponse, outputs: &[&str]) -> ToolRound {
    ToolRound {
        response_id: answer.response_id.clone(),
        assistant_text: answer.text.clone(),
        calls: answer.tool_calls.clone(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
    }
}

/// Every item of a stream, each with the time it arrived.
pub struct Collected {
    pub deltas: Vec<(String, Instant)>,
    pub last: Result<LlmResponse, LlmError>,
    pub last_at: Instant,
}

impl Collected {
    pub fn text(&self) -> String {
        self.deltas.iter().map(|(d, _)| d.as_str()).collect()
    }

    pub fn response(&self) -> &LlmResponse {
        self.last.as_ref().expect("the stream completed")
    }

    pub fn error(&self) -> &LlmError {
        self.last.as_ref().expect_err("the stream failed")
    }
}

pub async fn collect(
    mut stream: BoxStream<'static, Result<LlmStreamEvent, LlmError>>,
) -> Collected {
    let mut deltas = Vec::new();
    let mut last = None;
    while let Some(item) = stream.next().await {
        assert!(last.is_none(), "nothing may follow Completed or an error");
        match item {
            Ok(LlmStreamEvent::TextDelta(d)) => deltas.push((d, Instant::now())),
            Ok(LlmStreamEvent::Completed(r)) => last = Some((Ok(*r), Instant::now())),
            Err(e) => last = Some((Err(e), Instant::now())),
        }
    }
    let (last, last_at) = last.expect("the stream ended with Completed or an error");
    Collected {
        deltas,
        last,
        last_at,
    }
}

pub fn tool_calls_named(calls: &[ToolCall]) -> Vec<(&str, &str)> {
    calls
        .iter()
        .map(|c| (c.name.as_str(), c.arguments.as_str()))
        .collect()
}
