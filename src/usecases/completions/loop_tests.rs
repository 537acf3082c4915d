//! The tool loop and streaming, over in-memory fakes of the ports.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use futures::stream::BoxStream;
use serde_json::json;
use sybil_domain::{MessageInput, Role, Timestamp};
use sybil_ports::outbound::{
    ChatWithMessages, FetchedPage, LlmError, LlmProvider, LlmResponse, LlmStreamEvent, PageFetcher,
    RawJson, SearchHit, StorageError, ToolCall, ToolError, Usage, WebSearch,
};
use tokio::sync::Notify;

use super::*;
use crate::usecases::tools::ToolRunner;

#[derive(Default)]
pub(super) struct MemoryStore {
    chat: Mutex<Option<ChatWithMessages>>,
    pub(super) calls: Mutex<Vec<LlmCall>>,
    /// Told of each recorded call (a permit is kept when nobody waits).
    call_recorded: Notify,
}

#[async_trait]
impl ChatRepository for MemoryStore {
    async fn create_chat(&self, _: &Chat, _: &[Message]) -> Result<(), StorageError> {
        unreachable!("not used by completions")
    }
    async fn list_chats(&self) -> Result<Vec<Chat>, StorageError> {
        unreachable!("not used by completions")
    }
    async fn load_chat(&self, _: Uuid) -> Result<Option<ChatWithMessages>, StorageError> {
        Ok(self.chat.lock().unwrap().clone())
    }
    async fn rename_chat(
        &self,
        _: Uuid,
        _: Option<String>,
        _: Timestamp,
    ) -> Result<Option<Chat>, StorageError> {
        unreachable!("not used by completions")
    }
    async fn delete_chat(&self, _: Uuid) -> Result<bool, StorageError> {
        unreachable!("not used by completions")
    }
    async fn append_messages(
        &self,
        _: Uuid,
        messages: &[Message],
        _: Option<ModelChoice>,
        _: Timestamp,
    ) -> Result<bool, StorageError> {
        let mut chat = self.chat.lock().unwrap();
        let chat = chat.as_mut().expect("a chat");
        chat.messages.extend_from_slice(messages);
        Ok(true)
    }
    async fn append_new_messages(
        &self,
        _: Uuid,
        provided: &[Message],
        _: Option<ModelChoice>,
        _: Timestamp,
    ) -> Result<bool, StorageError> {
        let mut chat = self.chat.lock().unwrap();
        let chat = chat.as_mut().expect("a chat");
        let stored: Vec<(Role, &str)> = chat
            .messages
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect();
        let pairs: Vec<(Role, &str)> = provided
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect();
        let new = sybil_domain::history::messages_to_store(&stored, &pairs);
        chat.messages
            .extend(new.into_iter().map(|i| provided[i].clone()));
        Ok(true)
    }
    async fn ping(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

#[async_trait]
impl CallLog for MemoryStore {
    async fn record_call(&self, call: &LlmCall) -> Result<(), StorageError> {
        self.calls.lock().unwrap().push(call.clone());
        self.call_recorded.notify_one();
        Ok(())
    }
}

impl MemoryStore {
    pub(super) fn with_chat() -> Arc<MemoryStore> {
        let store = MemoryStore::default();
        *store.chat.lock().unwrap() = Some(ChatWithMessages {
            chat: Chat::new(Uuid::from_u128(1), None, None, Timestamp(0)),
            messages: Vec::new(),
        });
        Arc::new(store)
    }

    pub(super) fn messages(&self) -> Vec<Message> {
        self.chat.lock().unwrap().as_ref().unwrap().messages.clone()
    }
}

/// Answers from a script; streams each answer word by word. `hang_after`
/// makes a stream stop producing (but stay open) after that many deltas.
struct Scripted {
    kind: Provider,
    replies: Mutex<VecDeque<LlmResponse>>,
    requests: Mutex<Vec<LlmRequest>>,
    hang_after: Option<usize>,
    dropped: Arc<Mutex<bool>>,
}

fn reply(text: &str, calls: &[(&str, &str, &str)]) -> LlmResponse {
    LlmResponse {
        text: text.into(),
        tool_calls: calls
            .iter()
            .map(|(id, name, args)| ToolCall {
                id: id.to_string(),
                name: name.to_string(),
                arguments: args.to_string(),
            })
            .collect(),
        usage: Usage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 15,
        },
        response_id: Some(format!("resp_{text}")),
        request_id: Some("req".into()),
        raw: RawJson::from_value(&json!({ "text": text })),
    }
}

impl Scripted {
    fn new(kind: Provider, replies: Vec<LlmResponse>) -> Arc<Scripted> {
        Arc::new(Scripted {
            kind,
            replies: Mutex::new(replies.into()),
            requests: Mutex::new(Vec::new()),
            hang_after: None,
            dropped: Arc::new(Mutex::new(false)),
        })
    }

    fn next(&self, request: &LlmRequest) -> LlmResponse {
        self.requests.lock().unwrap().push(request.clone());
        let mut replies = self.replies.lock().unwrap();
        // An empty script repeats its last reply forever (for the limit).
        if replies.len() > 1 {
            replies.pop_front().unwrap()
        } else {
            replies[0].clone()
        }
    }
}

/// Sets its flag when the stream holding it is dropped (the upstream abort).
struct DropFlag(Arc<Mutex<bool>>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = true;
    }
}

#[async_trait]
impl LlmProvider for Scripted {
    fn provider(&self) -> Provider {
        self.kind
    }
    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        Ok(self.next(request))
    }
    async fn stream(
        &self,
        request: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError> {
        let response = self.next(request);
        let mut events: Vec<Result<LlmStreamEvent, LlmError>> = response
            .text
            .split_inclusive(' ')
            .map(|w| Ok(LlmStreamEvent::TextDelta(w.to_string())))
            .collect();
        let flag = DropFlag(self.dropped.clone());
        match self.hang_after {
            Some(n) => {
                events.truncate(n);
                let head = futures::stream::iter(events);
                let tail = futures::stream::pending();
                Ok(head
                    .chain(tail)
                    .map(move |e| {
                        let _ = &flag;
                        e
                    })
                    .boxed())
            }
            None => {
                events.push(Ok(LlmStreamEvent::Completed(Box::new(response))));
                Ok(futures::stream::iter(events)
                    .map(move |e| {
                        let _ = &flag;
                        e
                    })
                    .boxed())
            }
        }
    }
    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        Ok(Vec::new())
    }
}

/// Web search whose answer for a query starting with "slow" waits until a
/// search for "fast" has answered: calls that ran one after the other
/// would never end.
#[derive(Default)]
struct SlowSearch {
    fast_answered: Notify,
}
#[async_trait]
impl WebSearch for SlowSearch {
    async fn search(&self, query: &str) -> Result<Vec<SearchHit>, ToolError> {
        if query.starts_with("slow") {
            self.fast_answered.notified().await;
        }
        if query == "fast" {
            // Kept as a permit if the slow search is not waiting yet.
            self.fast_answered.notify_one();
        }
        if query == "fail" {
            return Err(ToolError::new("exa: HTTP 500: boom"));
        }
        Ok(vec![SearchHit {
            title: format!("About {query}"),
            url: "https://example.com".into(),
            snippet: "a snippet".into(),
            published_date: None,
        }])
    }
}

pub(super) struct NoFetch;
#[async_trait]
impl PageFetcher for NoFetch {
    async fn fetch(&self, url: &str) -> Result<FetchedPage, ToolError> {
        Err(ToolError::new(format!("refused: {url}")))
    }
}

fn service(
    store: &Arc<MemoryStore>,
    provider: Arc<Scripted>,
    max_rounds: u32,
) -> CompletionService {
    CompletionService::new(CompletionDeps {
        chats: store.clone(),
        calls: store.clone(),
        providers: Providers::new(vec![provider]),
        clock: Arc::new(sybil_system_clock()),
        ids: Arc::new(Counter::default()),
        tools: ToolRunner {
            web_search: Some(Arc::new(SlowSearch::default())),
            fetcher: Arc::new(NoFetch),
            devbox: None,
        },
        max_tool_rounds: max_rounds,
        jobs: Arc::new(JobHub::new(
            Arc::new(sybil_ports::outbound::jobs::MockJobStore::new()),
            Arc::new(FixedClock),
            "test".into(),
        )),
    })
}

#[derive(Default)]
pub(super) struct Counter(Mutex<u128>);
impl IdGenerator for Counter {
    fn new_id(&self) -> Uuid {
        let mut n = self.0.lock().unwrap();
        *n += 1;
        Uuid::from_u128(1000 + *n)
    }
}

struct FixedClock;
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(7)
    }
}
fn sybil_system_clock() -> FixedClock {
    FixedClock
}

fn command(provider: Provider, text: &str) -> CompletionCommand {
    CompletionCommand {
        chat_id: Some(Uuid::from_u128(1).to_string()),
        provider,
        model: "m".into(),
        messages: vec![MessageInput {
            role: "user".into(),
            content: text.into(),
            ..Default::default()
        }],
        temperature: None,
        max_tokens: None,
    }
}

#[tokio::test(start_paused = true)]
async fn tools_run_and_their_outputs_go_back_in_round_two() {
    let store = MemoryStore::with_chat();
    let provider = Scripted::new(
        Provider::OpenAi,
        vec![
            reply(
                "Let me look. ",
                &[("call_a", "web_search", r#"{"query":"rust"}"#)],
            ),
            reply("Rust is a language.", &[]),
        ],
    );
    let out = service(&store, provider.clone(), 100)
        .complete(command(Provider::OpenAi, "what is rust?"))
        .await
        .unwrap();
    assert_eq!(out.content, "Rust is a language.");
    assert_eq!(
        out.usage.total_tokens, 30,
        "usage is summed over both calls"
    );

    let requests = provider.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].rounds.is_empty());
    let round = &requests[1].rounds[0];
    assert_eq!(round.response_id.as_deref(), Some("resp_Let me look. "));
    assert_eq!(round.calls[0].id, "call_a");
    assert!(
        round.outputs[0].starts_with("1. About rust"),
        "{}",
        round.outputs[0]
    );

    let stored = store.messages();
    let roles: Vec<Role> = stored.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Tool, Role::Assistant]);
    let meta = stored[1].metadata.clone().unwrap();
    assert_eq!(meta["kind"], "tool_call");
    assert_eq!(meta["toolCallId"], "call_a");
    assert_eq!(meta["arguments"], json!({ "query": "rust" }));
    assert_eq!(
        (meta["status"].as_str(), meta["round"].as_u64()),
        (Some("completed"), Some(1))
    );
    assert_eq!(stored[1].name.as_deref(), Some("web_search"));
    let calls = store.calls.lock().unwrap().clone();
    assert_eq!(
        (calls.len(), calls[0].tool_rounds, calls[0].status),
        (1, 1, CallStatus::Ok)
    );
}

#[tokio::test(start_paused = true)]
async fn calls_of_one_round_run_together_and_are_stored_in_the_models_order() {
    let store = MemoryStore::with_chat();
    let provider = Scripted::new(
        Provider::Xai,
        vec![
            reply(
                "",
                &[
                    ("c1", "web_search", r#"{"query":"slow one"}"#),
                    ("c2", "web_search", r#"{"query":"fast"}"#),
                    ("c3", "fetch_url", r#"{"url":"http://10.0.0.1/"}"#),
                    ("c4", "web_search", "{not json"),
                    ("c5", "rm_rf", "{}"),
                ],
            ),
            reply("done", &[]),
        ],
    );
    // On paused time a round that ran its calls one by one would hang
    // until this gives up.
    let service = service(&store, provider, 100);
    let run = service.complete(command(Provider::Xai, "go"));
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the slow search waited for the fast one")
        .unwrap();
    let tools: Vec<Message> = store
        .messages()
        .into_iter()
        .filter(|m| m.role == Role::Tool)
        .collect();
    let ids: Vec<&str> = tools
        .iter()
        .map(|m| m.metadata.as_ref().unwrap()["toolCallId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5"]);
    let statuses: Vec<&str> = tools
        .iter()
        .map(|m| m.metadata.as_ref().unwrap()["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["completed", "completed", "failed", "failed", "failed"]
    );
    assert_eq!(tools[2].content, "refused: http://10.0.0.1/");
    assert!(
        tools[3]
            .content
            .starts_with("invalid arguments for web_search")
    );
    assert_eq!(
        tools[3].metadata.as_ref().unwrap()["arguments"],
        json!({ "raw": "{not json" })
    );
    assert_eq!(tools[4].content, "unknown or disabled tool: rm_rf");
}

#[tokio::test(start_paused = true)]
async fn the_round_limit_ends_with_the_limit_message() {
    let store = MemoryStore::with_chat();
    let provider = Scripted::new(
        Provider::OpenAi,
        vec![reply("again", &[("c", "web_search", r#"{"query":"x"}"#)])],
    );
    let out = service(&store, provider.clone(), 2)
        .complete(command(Provider::OpenAi, "loop"))
        .await
        .unwrap();
    assert_eq!(
        out.content,
        "Tool limit reached: stopped after 2 tool rounds."
    );
    assert_eq!(provider.requests.lock().unwrap().len(), 3);
    let rounds: Vec<u64> = store
        .messages()
        .iter()
        .filter(|m| m.role == Role::Tool)
        .map(|m| m.metadata.as_ref().unwrap()["round"].as_u64().unwrap())
        .collect();
    assert_eq!(rounds, [1, 2]);
    assert_eq!(store.messages().last().unwrap().content, out.content);
    assert_eq!(store.calls.lock().unwrap()[0].tool_rounds, 2);
}

#[tokio::test(start_paused = true)]
async fn anthropic_gets_no_tools_and_its_tool_requests_are_not_run() {
    let store = MemoryStore::with_chat();
    let provider = Scripted::new(
        Provider::Anthropic,
        vec![reply("plain", &[("c", "web_search", "{}")])],
    );
    let out = service(&store, provider.clone(), 100)
        .complete(command(Provider::Anthropic, "hi"))
        .await
        .unwrap();
    assert_eq!(out.content, "plain");
    assert!(provider.requests.lock().unwrap()[0].tools.is_empty());
    assert!(store.messages().iter().all(|m| m.role != Role::Tool));
}

fn kind(e: &CompletionEvent) -> String {
    match e {
        CompletionEvent::Meta(_) => "meta".into(),
        CompletionEvent::Delta { text } => format!("delta:{text}"),
        CompletionEvent::ToolCall(t) => {
            format!("tool_call:{}:{}", t.tool_call_id, t.message_id.is_some())
        }
        CompletionEvent::Done(o) => format!("done:{}", o.content),
        CompletionEvent::Error { message } => format!("error:{message}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_sends_meta_deltas_tool_calls_and_done_in_order() {
    let store = MemoryStore::with_chat();
    let provider = Scripted::new(
        Provider::OpenAi,
        vec![
            reply("Looking it up", &[("c1", "web_search", r#"{"query":"x"}"#)]),
            reply("It is x.", &[]),
        ],
    );
    let events: Vec<CompletionEvent> = service(&store, provider, 100)
        .stream(command(Provider::OpenAi, "x?"))
        .await
        .unwrap()
        .collect()
        .await;
    let kinds: Vec<String> = events.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "meta",
            "delta:Looking ",
            "delta:it ",
            "delta:up",
            "tool_call:c1:true",
            "delta:It ",
            "delta:is ",
            "delta:x.",
            "done:It is x."
        ]
    );
    let CompletionEvent::Done(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.usage.total_tokens, 30);
    let stored = store.messages();
    assert_eq!(stored.last().unwrap().content, "It is x.");
    assert_eq!(Some(stored.last().unwrap().id), done.message_id);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_leaves_stops_the_upstream_and_keeps_the_partial_text() {
    let store = MemoryStore::with_chat();
    let mut provider = Scripted::new(Provider::OpenAi, vec![reply("one two three four", &[])]);
    Arc::get_mut(&mut provider).unwrap().hang_after = Some(2);
    let dropped = provider.dropped.clone();
    let mut stream = service(&store, provider, 100)
        .stream(command(Provider::OpenAi, "count"))
        .await
        .unwrap();
    assert_eq!(kind(&stream.next().await.unwrap()), "meta");
    assert_eq!(kind(&stream.next().await.unwrap()), "delta:one ");
    assert_eq!(kind(&stream.next().await.unwrap()), "delta:two ");
    drop(stream);
    tokio::time::timeout(Duration::from_secs(60), store.call_recorded.notified())
        .await
        .expect("the stopped call is recorded");
    assert!(*dropped.lock().unwrap(), "the upstream stream was dropped");
    let last = store.messages().last().unwrap().clone();
    assert_eq!(
        (last.role, last.content.as_str()),
        (Role::Assistant, "one two ")
    );
    assert_eq!(last.metadata, Some(json!({ "stopped": true })));
    assert_eq!(store.calls.lock().unwrap()[0].status, CallStatus::Stopped);
}
