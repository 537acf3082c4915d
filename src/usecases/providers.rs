//! The configured LLM providers, by name.

use std::collections::HashMap;
use std::sync::Arc;

use sybil_domain::Provider;
use sybil_ports::outbound::LlmProvider;

/// Providers that have an API key; the others are absent.
#[derive(Clone, Default)]
pub struct Providers(HashMap<Provider, Arc<dyn LlmProvider>>);

impl Providers {
    pub fn new(list: Vec<Arc<dyn LlmProvider>>) -> Self {
        Providers(list.into_iter().map(|p| (p.provider(), p)).collect())
    }

    pub fn get(&self, provider: Provider) -> Option<&Arc<dyn LlmProvider>> {
        self.0.get(&provider)
    }
}
