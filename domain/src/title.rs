//! Title suggestion: how a model's answer becomes a stored chat title.

/// At most this many words are kept.
pub const MAX_TITLE_WORDS: usize = 6;

/// The first non-empty line of `answer`, surrounding quotes and trailing
/// punctuation stripped, cut to its first six words; `None` when nothing is left.
pub fn title_from_answer(answer: &str) -> Option<String> {
    let line = answer.lines().map(str::trim).find(|l| !l.is_empty())?;
    let quotes: &[char] = &['"', '\'', '`', '“', '”', '‘', '’', '«', '»', '*'];
    let unquoted = line.trim_matches(quotes).trim();
    let words: Vec<&str> = unquoted.split_whitespace().take(MAX_TITLE_WORDS).collect();
    let joined = words.join(" ");
    let title = joined
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || quotes.contains(&c))
        .trim_matches(quotes)
        .trim();
    (!title.is_empty()).then(|| title.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_empty_line_without_quotes_or_trailing_punctuation() {
        assert_eq!(
            title_from_answer("\n  \"Trip to Florence.\"\nmore"),
            Some("Trip to Florence".into())
        );
        assert_eq!(
            title_from_answer("“Rust Async Basics”"),
            Some("Rust Async Basics".into())
        );
        assert_eq!(
            title_from_answer("'Weekend plans!?'"),
            Some("Weekend plans".into())
        );
    }

    #[test]
    fn cut_to_six_words() {
        assert_eq!(
            title_from_answer("one two three four five six seven eight"),
            Some("one two three four five six".into())
        );
        assert_eq!(
            title_from_answer("one two three four five six, seven"),
            Some("one two three four five six".into())
        );
    }

    #[test]
    fn nothing_usable_is_none() {
        assert_eq!(title_from_answer(""), None);
        assert_eq!(title_from_answer(" \n\t\n"), None);
        assert_eq!(title_from_answer("\"...\""), None);
    }

    #[test]
    fn inner_punctuation_is_kept() {
        assert_eq!(
            title_from_answer("C++ vs. Rust: a comparison."),
            Some("C++ vs. Rust: a comparison".into())
        );
    }
}
