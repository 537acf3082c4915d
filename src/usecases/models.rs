//! The model catalogue: live lists loaded at startup, cached, refreshed in
//! the background, with fallbacks when a provider has no key or fails.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use sybil_domain::{Provider, Timestamp};
use sybil_ports::inbound::{ModelList, ModelUseCases};
use sybil_ports::outbound::{Clock, LlmProvider};
use tokio::sync::watch;

use super::providers::Providers;

/// Built-in fallback lists, used when `*_MODELS` is unset.
pub fn default_models(provider: Provider) -> Vec<String> {
    let ids: &[&str] = match provider {
        Provider::OpenAi => &["gpt-4.1-mini", "gpt-4.1", "gpt-5", "gpt-5-mini", "o4-mini"],
        Provider::Anthropic => &[
            "claude-sonnet-4-20250514",
            "claude-3-5-sonnet-latest",
            "claude-3-5-haiku-latest",
        ],
        Provider::Xai => &["grok-4-fast", "grok-3-mini", "grok-3"],
    };
    ids.iter().map(|s| s.to_string()).collect()
}

#[derive(Clone, Default)]
struct State {
    live: Option<Vec<String>>,
    loaded_at: Option<Timestamp>,
    error: Option<String>,
}

struct Entry {
    provider: Provider,
    source: Option<Arc<dyn LlmProvider>>,
    fallback: Vec<String>,
    state: RwLock<State>,
}

/// Implements `ModelUseCases`.
pub struct ModelCatalog {
    entries: Vec<Entry>,
    clock: Arc<dyn Clock>,
    /// Becomes true once the first load has finished (successfully or not).
    loaded: watch::Sender<bool>,
    wait_limit: Duration,
}

impl ModelCatalog {
    /// `fallbacks(provider)` gives the configured `*_MODELS` list, if any;
    /// a request before the first load waits for it at most `wait_limit`.
    pub fn new(
        providers: &Providers,
        fallbacks: impl Fn(Provider) -> Option<Vec<String>>,
        clock: Arc<dyn Clock>,
        wait_limit: Duration,
    ) -> Self {
        let entries = Provider::ALL
            .into_iter()
            .map(|provider| {
                let source = providers.get(provider).cloned();
                let error = source
                    .is_none()
                    .then(|| format!("{} is not set", provider.api_key_variable()));
                Entry {
                    provider,
                    source,
                    fallback: fallbacks(provider).unwrap_or_else(|| default_models(provider)),
                    state: RwLock::new(State {
                        error,
                        ..State::default()
                    }),
                }
            })
            .collect();
        ModelCatalog {
            entries,
            clock,
            loaded: watch::channel(false).0,
            wait_limit,
        }
    }

    /// Loads every configured provider's live list, concurrently. A failure
    /// keeps the last good list (and its `loadedAt`) and records the error.
    pub async fn refresh(&self) {
        let loads = self.entries.iter().filter_map(|entry| {
            let source = entry.source.clone()?;
            Some(async move { (entry, source.list_models().await) })
        });
        for (entry, result) in futures::future::join_all(loads).await {
            let mut state = entry.state.write().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(models) => {
                    state.live = Some(models);
                    state.loaded_at = Some(self.clock.now());
                    state.error = None;
                }
                Err(e) => {
                    tracing::warn!(provider = %entry.provider, error = %e, "model list refresh failed");
                    state.error = Some(e.to_string());
                }
            }
        }
        self.loaded.send_replace(true);
    }

    /// Refreshes now and then every `every`, for as long as the catalogue lives.
    pub fn spawn_refresh(self: &Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(catalog) = weak.upgrade() else { break };
                catalog.refresh().await;
                drop(catalog);
                tokio::time::sleep(every).await;
            }
        });
    }
}

#[async_trait]
impl ModelUseCases for ModelCatalog {
    async fn list_models(&self) -> Vec<ModelList> {
        let mut loaded = self.loaded.subscribe();
        let _ = tokio::time::timeout(self.wait_limit, loaded.wait_for(|done| *done)).await;
        self.entries
            .iter()
            .map(|entry| {
                let state = entry
                    .state
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                ModelList {
                    provider: entry.provider,
                    models: state.live.unwrap_or_else(|| entry.fallback.clone()),
                    loaded_at: state.loaded_at,
                    error: state.error,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
