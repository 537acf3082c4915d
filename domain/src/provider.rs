//! The LLM providers Sybil speaks to.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    OpenAi,
    Anthropic,
    Xai,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::OpenAi, Provider::Anthropic, Provider::Xai];

    /// The wire name used by the contract (`openai`, `anthropic`, `xai`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Xai => "xai",
        }
    }

    /// The environment variable that holds this provider's API key.
    pub fn api_key_variable(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
            Provider::Xai => "XAI_API_KEY",
        }
    }

    /// What a client sees of a failed call to this provider (a 502 body or a
    /// stream's `error` event): the provider's name, then `detail`, the
    /// upstream's own message.
    pub fn upstream_error_message(self, detail: &str) -> String {
        format!("{self} upstream error: {detail}")
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the provider names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of openai, anthropic, xai")]
pub struct UnknownProvider;

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(UnknownProvider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Provider::ALL {
            assert_eq!(p.as_str().parse::<Provider>(), Ok(p));
        }
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        assert!("OpenAI".parse::<Provider>().is_err());
        assert!(" openai".parse::<Provider>().is_err());
        assert!("".parse::<Provider>().is_err());
    }

    #[test]
    fn upstream_errors_name_the_provider() {
        assert_eq!(
            Provider::Xai.upstream_error_message("model not found"),
            "xai upstream error: model not found"
        );
    }
}
