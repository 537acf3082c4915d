//! Reading a library error's `source()` chain: its text, a cause of a given
//! type, and whether a timeout is in it.

use std::error::Error as StdError;

/// `error: cause: cause`, because reqwest's own Display hides the
/// interesting part ("error sending request" without the reason). A cause
/// whose text an earlier part already contains is left out (hyper and
/// reqwest often repeat their source's text).
pub fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut next = error.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The first error of type `E` in `error`'s chain, `error` included (reqwest
/// wraps what a redirect policy or a resolver returns).
pub fn find<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// reqwest marks its own deadlines; a socket timeout shows up as an io
/// error in the chain.
pub fn is_timeout(error: &reqwest::Error) -> bool {
    error.is_timeout()
        || find::<std::io::Error>(error).is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<dyn StdError + Send + Sync>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn chain_joins_causes_and_skips_repeats() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let error = Layer(
            "error sending request",
            Some(Box::new(Layer(
                "connection error: reset by peer",
                Some(Box::new(io)),
            ))),
        );
        assert_eq!(
            chain(&error),
            "error sending request: connection error: reset by peer"
        );
        let found = find::<std::io::Error>(&error).unwrap();
        assert_eq!(found.kind(), std::io::ErrorKind::ConnectionReset);
        assert!(find::<std::fmt::Error>(&error).is_none());
    }
}
