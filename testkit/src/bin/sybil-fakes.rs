//! Starts the fake upstreams (OpenAI, xAI, Anthropic, Exa) on 127.0.0.1 and
//! prints the variables that point Sybil at them, one `NAME=value` line each
//! and then `READY`; serves until killed. For `scripts/contract/run.sh`.

use std::io::Write;

use sybil_testkit::{FakeExa, FakeKind, FakeLlm};

#[tokio::main]
async fn main() {
    let openai = FakeLlm::start(FakeKind::OpenAi).await;
    let xai = FakeLlm::start(FakeKind::Xai).await;
    let anthropic = FakeLlm::start(FakeKind::Anthropic).await;
    let exa = FakeExa::start().await;
    let mut out = std::io::stdout().lock();
    for (prefix, fake) in [
        ("OPENAI", &openai),
        ("XAI", &xai),
        ("ANTHROPIC", &anthropic),
    ] {
        let _ = writeln!(out, "{prefix}_API_KEY={}", fake.api_key());
        let _ = writeln!(out, "{prefix}_BASE_URL={}", fake.base_url());
    }
    let _ = writeln!(out, "EXA_API_KEY={}", exa.api_key());
    let _ = writeln!(out, "EXA_BASE_URL={}", exa.base_url());
    let _ = writeln!(out, "READY");
    let _ = out.flush();
    drop(out);
    // The fakes serve on their own tasks; SIGTERM ends the process.
    std::future::pending::<()>().await;
}
