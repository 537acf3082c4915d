use sybil_ports::outbound::clock::MockClock;
use sybil_ports::outbound::llm::MockLlmProvider;
use sybil_ports::outbound::{LlmError, LlmFailure};

use super::*;

fn clock() -> Arc<dyn Clock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(Timestamp(9_000));
    Arc::new(clock)
}

fn failing(provider: Provider) -> LlmError {
    LlmError {
        provider,
        failure: LlmFailure::Status(500),
        message: "boom".into(),
    }
}

fn catalog(providers: Vec<MockLlmProvider>) -> ModelCatalog {
    let providers = Providers::new(
        providers
            .into_iter()
            .map(|p| Arc::new(p) as Arc<dyn LlmProvider>)
            .collect(),
    );
    ModelCatalog::new(
        &providers,
        |p| (p == Provider::Xai).then(|| vec!["grok-custom".to_string()]),
        clock(),
        Duration::from_millis(50),
    )
}

#[tokio::test(start_paused = true)]
async fn unconfigured_providers_get_their_fallback_and_an_error() {
    let c = catalog(vec![]);
    c.refresh().await;
    let lists = c.list_models().await;
    assert_eq!(
        lists.iter().map(|l| l.provider).collect::<Vec<_>>(),
        Provider::ALL
    );
    assert_eq!(lists[0].models, default_models(Provider::OpenAi));
    assert_eq!(lists[0].error.as_deref(), Some("OPENAI_API_KEY is not set"));
    assert_eq!(lists[0].loaded_at, None);
    assert_eq!(lists[2].models, ["grok-custom"]);
}

#[tokio::test(start_paused = true)]
async fn a_live_list_replaces_the_fallback_and_survives_a_failed_refresh() {
    let mut p = MockLlmProvider::new();
    p.expect_provider().return_const(Provider::OpenAi);
    let mut calls = 0;
    p.expect_list_models().returning(move || {
        calls += 1;
        if calls == 1 {
            Ok(vec!["gpt-5".into()])
        } else {
            Err(failing(Provider::OpenAi))
        }
    });
    let c = catalog(vec![p]);
    c.refresh().await;
    let first = c.list_models().await;
    assert_eq!(first[0].models, ["gpt-5"]);
    assert_eq!(first[0].loaded_at, Some(Timestamp(9_000)));
    assert_eq!(first[0].error, None);
    c.refresh().await;
    let second = c.list_models().await;
    assert_eq!(second[0].models, ["gpt-5"]);
    assert_eq!(second[0].loaded_at, Some(Timestamp(9_000)));
    assert_eq!(second[0].error.as_deref(), Some("openai: boom"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_first_load_falls_back_with_the_error() {
    let mut p = MockLlmProvider::new();
    p.expect_provider().return_const(Provider::Anthropic);
    p.expect_list_models()
        .returning(|| Err(failing(Provider::Anthropic)));
    let c = catalog(vec![p]);
    c.refresh().await;
    let lists = c.list_models().await;
    assert_eq!(lists[1].models, default_models(Provider::Anthropic));
    assert_eq!(lists[1].error.as_deref(), Some("anthropic: boom"));
    assert_eq!(lists[1].loaded_at, None);
}

#[tokio::test(start_paused = true)]
async fn a_request_before_the_first_load_waits_only_so_long() {
    let c = catalog(vec![]);
    let started = tokio::time::Instant::now();
    let lists = c.list_models().await;
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(lists.len(), 3);
}
