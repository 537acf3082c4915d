//! History de-duplication for completions with a `chatId`: clients resend
//! the whole transcript each time, and only what is new may be stored.

use crate::Role;

/// Length of the longest common prefix, on (role, content), of the stored
/// transcript (its `tool` messages skipped: they are server-side records the
/// client does not send back) and the provided history. `stored` may be just
/// the transcript's head: nothing past the provided length is ever compared.
pub fn common_prefix_len<S: AsRef<str>>(stored: &[(Role, S)], provided: &[(Role, &str)]) -> usize {
    stored
        .iter()
        .filter(|(role, _)| *role != Role::Tool)
        .zip(provided)
        .take_while(|((s_role, s_content), (role, content))| {
            s_role == role && s_content.as_ref() == *content
        })
        .count()
}

/// Indexes of the provided messages to store: those after the common prefix
/// whose role is not `assistant` (the server stores its own answers).
pub fn messages_to_store<S: AsRef<str>>(
    stored: &[(Role, S)],
    provided: &[(Role, &str)],
) -> Vec<usize> {
    let start = common_prefix_len(stored, provided);
    (start..provided.len())
        .filter(|&i| provided[i].0 != Role::Assistant)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored<'a>(items: &[(Role, &'a str)]) -> Vec<(Role, &'a str)> {
        items.to_vec()
    }

    use Role::{Assistant as A, System as S, Tool as T, User as U};

    #[test]
    fn first_call_stores_every_non_assistant_message() {
        let provided = [(S, "sys"), (U, "hi"), (A, "old answer"), (U, "more")];
        assert_eq!(messages_to_store(&stored(&[]), &provided), vec![0, 1, 3]);
    }

    #[test]
    fn a_repeated_history_stores_only_the_new_tail() {
        let db = stored(&[(U, "hi"), (A, "hello")]);
        let provided = [(U, "hi"), (A, "hello"), (U, "next")];
        assert_eq!(common_prefix_len(&db, &provided), 2);
        assert_eq!(messages_to_store(&db, &provided), vec![2]);
    }

    #[test]
    fn the_exact_same_history_stores_nothing() {
        let db = stored(&[(U, "hi"), (A, "hello")]);
        assert!(messages_to_store(&db, &[(U, "hi"), (A, "hello")]).is_empty());
    }

    #[test]
    fn stored_tool_messages_are_skipped_in_the_comparison() {
        let db = stored(&[
            (U, "weather?"),
            (T, "{results}"),
            (T, "{page}"),
            (A, "sunny"),
        ]);
        let provided = [(U, "weather?"), (A, "sunny"), (U, "tomorrow?")];
        assert_eq!(messages_to_store(&db, &provided), vec![2]);
    }

    #[test]
    fn an_edited_message_makes_everything_after_it_new() {
        let db = stored(&[(U, "hi"), (A, "hello"), (U, "what is 2+2")]);
        let provided = [
            (U, "hi"),
            (A, "hello"),
            (U, "what is 3+3"),
            (A, "6"),
            (U, "thanks"),
        ];
        assert_eq!(messages_to_store(&db, &provided), vec![2, 4]);
    }

    #[test]
    fn role_matters_as_much_as_content() {
        let db = stored(&[(U, "same")]);
        assert_eq!(messages_to_store(&db, &[(S, "same")]), vec![0]);
    }

    #[test]
    fn a_shorter_history_stores_nothing() {
        let db = stored(&[(U, "a"), (A, "b"), (U, "c")]);
        assert!(messages_to_store(&db, &[(U, "a")]).is_empty());
    }

    #[test]
    fn provided_tool_messages_after_the_prefix_are_stored() {
        let provided = [(U, "a"), (T, "pasted tool output")];
        assert_eq!(messages_to_store(&stored(&[]), &provided), vec![0, 1]);
    }
}
