//! Chats: the stored conversation header and the rules for creating and renaming one.

use uuid::Uuid;

use crate::{Provider, Timestamp};

/// A provider and one of its models, always chosen together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    pub provider: Provider,
    pub model: String,
}

/// The chat header as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: Uuid,
    pub title: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub initiated: Option<ModelChoice>,
    pub last_used: Option<ModelChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatRuleError {
    #[error("provider and model must be supplied together")]
    ProviderWithoutModel,
    #[error("provider must be one of openai, anthropic, xai")]
    UnknownProvider,
    #[error("model must not be empty")]
    EmptyModel,
}

/// Reads an optional `provider`/`model` pair: both absent is no choice, one
/// without the other is an error.
pub fn model_choice(
    provider: Option<&str>,
    model: Option<&str>,
) -> Result<Option<ModelChoice>, ChatRuleError> {
    match (provider, model) {
        (None, None) => Ok(None),
        (Some(provider), Some(model)) => {
            let provider = provider
                .parse()
                .map_err(|_| ChatRuleError::UnknownProvider)?;
            if model.trim().is_empty() {
                return Err(ChatRuleError::EmptyModel);
            }
            Ok(Some(ModelChoice {
                provider,
                model: model.to_string(),
            }))
        }
        _ => Err(ChatRuleError::ProviderWithoutModel),
    }
}

/// A blank title counts as no title.
pub fn normalize_title(title: Option<String>) -> Option<String> {
    title.filter(|t| !t.trim().is_empty())
}

impl Chat {
    /// A new chat; a model choice given at creation is both the initiating and
    /// the last used one.
    pub fn new(
        id: Uuid,
        title: Option<String>,
        choice: Option<ModelChoice>,
        now: Timestamp,
    ) -> Self {
        Chat {
            id,
            title: normalize_title(title),
            created_at: now,
            updated_at: now,
            initiated: choice.clone(),
            last_used: choice,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_choice_needs_both_halves() {
        assert_eq!(model_choice(None, None), Ok(None));
        assert_eq!(
            model_choice(Some("openai"), None),
            Err(ChatRuleError::ProviderWithoutModel)
        );
        assert_eq!(
            model_choice(None, Some("gpt-4.1-mini")),
            Err(ChatRuleError::ProviderWithoutModel)
        );
        assert_eq!(
            model_choice(Some("xai"), Some("grok-3-mini")),
            Ok(Some(ModelChoice {
                provider: Provider::Xai,
                model: "grok-3-mini".into()
            }))
        );
    }

    #[test]
    fn model_choice_checks_each_half() {
        assert_eq!(
            model_choice(Some("google"), Some("gemini")),
            Err(ChatRuleError::UnknownProvider)
        );
        assert_eq!(
            model_choice(Some("openai"), Some(" ")),
            Err(ChatRuleError::EmptyModel)
        );
    }

    #[test]
    fn blank_titles_are_no_title() {
        assert_eq!(normalize_title(Some(String::new())), None);
        assert_eq!(normalize_title(Some("  ".into())), None);
        assert_eq!(normalize_title(None), None);
        assert_eq!(
            normalize_title(Some(" Trip ".into())),
            Some(" Trip ".into())
        );
    }

    #[test]
    fn new_chat_starts_with_the_same_initiated_and_last_used_model() {
        let choice = model_choice(Some("anthropic"), Some("claude")).unwrap();
        let chat = Chat::new(
            Uuid::nil(),
            Some(String::new()),
            choice.clone(),
            Timestamp(5),
        );
        assert_eq!(chat.title, None);
        assert_eq!(chat.initiated, choice);
        assert_eq!(chat.last_used, choice);
        assert_eq!(
            (chat.created_at, chat.updated_at),
            (Timestamp(5), Timestamp(5))
        );
    }
}
