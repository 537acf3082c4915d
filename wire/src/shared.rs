//! The small types that request bodies, whole answers and stream events share.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use sybil_domain::{Provider, Usage};

/// An LLM provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum ProviderName {
    Openai,
    Anthropic,
    Xai,
}

impl ProviderName {
    pub fn as_str(self) -> &'static str {
        self.domain().as_str()
    }

    pub fn domain(self) -> Provider {
        match self {
            ProviderName::Openai => Provider::OpenAi,
            ProviderName::Anthropic => Provider::Anthropic,
            ProviderName::Xai => Provider::Xai,
        }
    }
}

crate::from_string!(ProviderName, RoleName);

pub fn provider_name(p: Provider) -> ProviderName {
    match p {
        Provider::OpenAi => ProviderName::Openai,
        Provider::Anthropic => ProviderName::Anthropic,
        Provider::Xai => ProviderName::Xai,
    }
}

/// The role of a transcript message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum RoleName {
    System,
    User,
    Assistant,
    Tool,
}

impl RoleName {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleName::System => "system",
            RoleName::User => "user",
            RoleName::Assistant => "assistant",
            RoleName::Tool => "tool",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Object, Deserialize, Serialize)]
#[oai(rename = "Usage", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct UsageBody {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
}

impl From<Usage> for UsageBody {
    fn from(u: Usage) -> Self {
        UsageBody {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            total_tokens: u.total_tokens,
        }
    }
}

impl From<UsageBody> for Usage {
    fn from(u: UsageBody) -> Self {
        Usage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            total_tokens: u.total_tokens,
        }
    }
}
