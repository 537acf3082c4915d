//! What both floor proxies share: the settings goals.sh's launcher gives
//! Sybil, and the least JSON work a completion needs (read the request,
//! write the upstream's, read its answer, write the reply).

use serde::{Deserialize, Serialize};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// `HOST:PORT` to listen on, and the upstream's chat completions URL, from
/// the environment goals.sh's launcher sets for Sybil.
pub fn settings() -> (String, String) {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let addr = format!("{}:{}", var("HOST"), var("PORT"));
    let upstream = format!(
        "{}/chat/completions",
        var("XAI_BASE_URL").trim_end_matches('/')
    );
    (addr, upstream)
}

/// Sybil's request, as far as the upstream needs it.
#[derive(Deserialize)]
pub struct Completion {
    pub model: String,
    pub messages: Vec<Message>,
}

#[derive(Deserialize, Serialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

#[derive(Serialize)]
struct UpstreamRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Deserialize)]
struct UpstreamAnswer {
    id: String,
    choices: Vec<Choice>,
    usage: Usage,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reply {
    id: String,
    content: String,
    finish_reason: Option<String>,
    usage: Usage,
}

/// The upstream request's body for `body`, Sybil's request.
pub fn upstream_body(body: &[u8], stream: bool) -> Result<Vec<u8>, serde_json::Error> {
    let c: Completion = serde_json::from_slice(body)?;
    serde_json::to_vec(&UpstreamRequest {
        model: &c.model,
        messages: &c.messages,
        stream,
    })
}

/// The reply's body for the upstream's answer.
pub fn reply_body(answer: &[u8]) -> Result<Vec<u8>, String> {
    let a: UpstreamAnswer = serde_json::from_slice(answer).map_err(|e| e.to_string())?;
    let choice = a.choices.into_iter().next().ok_or("no choice")?;
    serde_json::to_vec(&Reply {
        id: a.id,
        content: choice.message.content,
        finish_reason: choice.finish_reason,
        usage: a.usage,
    })
    .map_err(|e| e.to_string())
}
