//! A reader that stops reading stops the upstream read: each provider's stream
//! holds a bounded amount however long the answer (issue 6, "Memory and
//! backpressure").

use std::time::Duration;

use futures::StreamExt;
use sybil_llm::{AnthropicProvider, OpenAiProvider, XaiProvider};
use sybil_ports::outbound::llm::{LlmProvider, LlmStreamEvent};
use sybil_testkit::{FakeKind, FakeLlm, Reply};

use crate::support::*;

/// The long answer: 10,000 deltas of 500 bytes, 5 MB of text and more of
/// frames, well beyond what the fake's send buffer, the client's receive
/// buffer and the HTTP buffers hold together.
const WORDS: usize = 10_000;
const WORD_BYTES: usize = 500;
/// How long the sent count must stand still to count as stalled.
const STILL_FOR: Duration = Duration::from_millis(300);
/// Give up waiting for a stall after this long.
const GIVE_UP: Duration = Duration::from_secs(20);

fn provider(kind: FakeKind, fake: &FakeLlm) -> Box<dyn LlmProvider> {
    match kind {
        FakeKind::OpenAi => Box::new(OpenAiProvider::new(settings(fake)).unwrap()),
        FakeKind::Xai => Box::new(XaiProvider::new(settings(fake)).unwrap()),
        FakeKind::Anthropic => Box::new(AnthropicProvider::new(settings(fake)).unwrap()),
    }
}

async fn stalls_behind_a_paused_reader(kind: FakeKind, model: &str) {
    let fake = FakeLlm::start(kind).await;
    let text: String = (0..WORDS)
        .map(|i| format!("{i:0>width$} ", width = WORD_BYTES))
        .collect();
    fake.push(Reply::text(&text));

    let mut stream = provider(kind, &fake).stream(&request(model)).await.unwrap();
    let Some(Ok(LlmStreamEvent::TextDelta(mut read))) = stream.next().await else {
        panic!("{kind:?}: the first item is a delta");
    };

    // The reader pauses; the fake gets as far as the buffers between allow.
    let paused_at = fake.stream_bytes_when_still(STILL_FOR, GIVE_UP).await;
    assert!(
        paused_at < text.len() / 2,
        "{kind:?}: {paused_at} bytes went out to a reader that took one event"
    );

    // Reading on drains the rest: the pause lost nothing.
    let rest = collect(stream).await;
    read.push_str(&rest.text());
    assert_eq!(read, text, "{kind:?}");
    assert!(fake.stream_bytes_sent() > text.len());
}

#[tokio::test]
async fn openai_stream_reads_no_further_than_its_reader() {
    stalls_behind_a_paused_reader(FakeKind::OpenAi, "gpt-4o").await;
}

#[tokio::test]
async fn xai_stream_reads_no_further_than_its_reader() {
    stalls_behind_a_paused_reader(FakeKind::Xai, "grok-4").await;
}

#[tokio::test]
async fn anthropic_stream_reads_no_further_than_its_reader() {
    stalls_behind_a_paused_reader(FakeKind::Anthropic, "claude-sonnet-4-20250514").await;
}
