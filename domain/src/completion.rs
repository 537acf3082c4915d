//! Rules of a completion request that are not about messages or attachments.

/// The internal system instruction, the same for every provider.
pub const SYSTEM_INSTRUCTION: &str = "You are Sybil, a helpful assistant. Answer clearly and \
accurately. When tools are available, use them when they help: web_search for current or \
uncertain facts, fetch_url to read a specific page, and the devbox tools for software tasks. \
Cite the sources you used.";

/// The model named in every title suggestion.
pub const TITLE_MODEL: &str = "gpt-4.1-mini";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompletionRuleError {
    #[error("model must not be empty")]
    EmptyModel,
    #[error("messages must contain at least 1 message")]
    NoMessages,
    #[error("temperature must be a number from 0 to 2")]
    Temperature,
    #[error("maxTokens must be an integer from 1 to 4294967295")]
    MaxTokens,
}

/// Checks the scalar fields of a completion request; returns `maxTokens` as
/// the provider integer type.
pub fn check_completion(
    model: &str,
    message_count: usize,
    temperature: Option<f64>,
    max_tokens: Option<i64>,
) -> Result<Option<u32>, CompletionRuleError> {
    if model.trim().is_empty() {
        return Err(CompletionRuleError::EmptyModel);
    }
    if message_count == 0 {
        return Err(CompletionRuleError::NoMessages);
    }
    if let Some(t) = temperature
        && !(t.is_finite() && (0.0..=2.0).contains(&t))
    {
        return Err(CompletionRuleError::Temperature);
    }
    max_tokens
        .map(|n| {
            u32::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(CompletionRuleError::MaxTokens)
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_boundaries() {
        assert_eq!(check_completion("m", 1, Some(0.0), Some(1)), Ok(Some(1)));
        assert_eq!(
            check_completion("m", 1, Some(2.0), Some(4_294_967_295)),
            Ok(Some(u32::MAX))
        );
        assert_eq!(check_completion("m", 3, None, None), Ok(None));
    }

    #[test]
    fn refuses_each_broken_rule() {
        assert_eq!(
            check_completion(" ", 1, None, None),
            Err(CompletionRuleError::EmptyModel)
        );
        assert_eq!(
            check_completion("m", 0, None, None),
            Err(CompletionRuleError::NoMessages)
        );
        assert_eq!(
            check_completion("m", 1, Some(-0.01), None),
            Err(CompletionRuleError::Temperature)
        );
        assert_eq!(
            check_completion("m", 1, Some(2.01), None),
            Err(CompletionRuleError::Temperature)
        );
        assert_eq!(
            check_completion("m", 1, Some(f64::NAN), None),
            Err(CompletionRuleError::Temperature)
        );
        assert_eq!(
            check_completion("m", 1, None, Some(0)),
            Err(CompletionRuleError::MaxTokens)
        );
        assert_eq!(
            check_completion("m", 1, None, Some(-5)),
            Err(CompletionRuleError::MaxTokens)
        );
        assert_eq!(
            check_completion("m", 1, None, Some(4_294_967_296)),
            Err(CompletionRuleError::MaxTokens)
        );
    }
}
