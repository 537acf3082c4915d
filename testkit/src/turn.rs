//! A model turn to render (text, tool calls, how it ends) and its delta splitting.

use crate::ReplyKind;

/// How a rendered turn ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ending {
    Complete,
    /// Cut the connection after this many deltas.
    Cut(usize),
    /// Send the in-stream error event after this many deltas.
    Error(usize, String),
    /// Send nothing more after this many deltas; keep the connection open.
    Hold(usize),
}

/// The content of one assistant turn, provider-neutral.
#[derive(Debug, Clone)]
pub(crate) struct Turn {
    pub text: String,
    pub calls: Vec<(String, String)>,
    pub reasoning: bool,
    pub split: bool,
    pub ending: Ending,
}

impl Turn {
    /// The turn a reply describes; `None` for kinds that are not a model turn.
    pub fn from_reply(kind: &ReplyKind) -> Option<Turn> {
        let plain = |text: &str, ending| Turn {
            text: text.to_owned(),
            calls: Vec::new(),
            reasoning: false,
            split: false,
            ending,
        };
        match kind {
            ReplyKind::Text(t) => Some(plain(t, Ending::Complete)),
            ReplyKind::ToolCalls {
                text,
                calls,
                reasoning,
                split_arguments,
            } => Some(Turn {
                text: text.clone(),
                calls: calls.clone(),
                reasoning: *reasoning,
                split: *split_arguments,
                ending: Ending::Complete,
            }),
            ReplyKind::CutStream { text, after } => Some(plain(text, Ending::Cut(*after))),
            ReplyKind::StreamError {
                text,
                after,
                message,
            } => Some(plain(text, Ending::Error(*after, message.clone()))),
            ReplyKind::Hold { text, after } => Some(plain(text, Ending::Hold(*after))),
            ReplyKind::Raw { .. } | ReplyKind::Malformed | ReplyKind::Drop => None,
        }
    }

    /// A counter of the deltas still allowed before the ending applies.
    pub fn budget(&self) -> Budget {
        Budget(match self.ending {
            Ending::Complete => None,
            Ending::Cut(n) | Ending::Error(n, _) | Ending::Hold(n) => Some(n),
        })
    }
}

/// The stream stops here (the turn's ending applies).
#[derive(Debug)]
pub(crate) struct Stop;

/// Deltas left before a cut or error ending (`None`: no limit).
pub(crate) struct Budget(Option<usize>);

impl Budget {
    /// Take one delta, or `Stop` when none is left.
    pub fn spend(&mut self) -> Result<(), Stop> {
        match &mut self.0 {
            None => Ok(()),
            Some(0) => Err(Stop),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
        }
    }

    /// Before the terminal events: a cut or error turn never completes.
    pub fn finish(&self) -> Result<(), Stop> {
        match self.0 {
            None => Ok(()),
            Some(_) => Err(Stop),
        }
    }
}

/// Word-by-word deltas: each piece is a word with the whitespace before it.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    // Whether `cur` holds more than whitespace (kept, not recounted: long words).
    let mut has_word = false;
    for c in text.chars() {
        if c.is_whitespace() && has_word {
            out.push(std::mem::take(&mut cur));
            has_word = false;
        }
        has_word |= !c.is_whitespace();
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Tool-call argument pieces of a few characters each (never splits a char).
pub(crate) fn pieces(arguments: &str) -> Vec<String> {
    let chars: Vec<char> = arguments.chars().collect();
    chars.chunks(5).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_the_text() {
        assert_eq!(words("Hello  wörld, hi"), ["Hello", "  wörld,", " hi"]);
        assert_eq!(words("").len(), 0);
        assert_eq!(pieces("{\"a\":\"é\"}").concat(), "{\"a\":\"é\"}");
    }
}
