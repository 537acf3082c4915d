//! Message paths (§2.3): each message takes the next number of its
//! conversation's sequence, written as 16 lowercase hex digits; a path joins
//! the labels from the root down with `.`, so byte order is depth-first with
//! siblings in creation order.

use std::fmt;

const LABEL_LEN: usize = 16;

/// A validated path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessagePath(String);

impl MessagePath {
    /// The path of a root whose sequence number is `seq`.
    pub fn root(seq: u64) -> MessagePath {
        MessagePath(format!("{seq:016x}"))
    }

    /// The path of a child of this message with sequence number `seq`.
    pub fn child(&self, seq: u64) -> MessagePath {
        MessagePath(format!("{}.{seq:016x}", self.0))
    }

    /// Reads a client's `cursor_path` or `path`; `None` when not of the form.
    pub fn parse(text: &str) -> Option<MessagePath> {
        let valid = !text.is_empty()
            && text.split('.').all(|label| {
                label.len() == LABEL_LEN
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            });
        valid.then(|| MessagePath(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number of labels (a root has 1).
    pub fn depth(&self) -> u32 {
        self.0.split('.').count() as u32
    }

    /// The root's path (its first label).
    pub fn root_path(&self) -> MessagePath {
        MessagePath(self.0[..LABEL_LEN].to_string())
    }

    /// The paths of this message's ancestors, from the root down.
    pub fn ancestors(&self) -> Vec<MessagePath> {
        self.0
            .match_indices('.')
            .map(|(at, _)| MessagePath(self.0[..at].to_string()))
            .collect()
    }

    /// Whether `self` is `ancestor` or below it.
    pub fn is_within(&self, ancestor: &MessagePath) -> bool {
        self.0 == ancestor.0
            || (self.0.starts_with(&ancestor.0) && self.0.as_bytes()[ancestor.0.len()] == b'.')
    }
}

impl fmt::Display for MessagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_root_down() {
        let leaf = MessagePath::root(1).child(5).child(9);
        let names: Vec<String> = leaf.ancestors().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            names,
            vec![
                "0000000000000001".to_string(),
                "0000000000000001.0000000000000005".to_string()
            ]
        );
        assert!(MessagePath::root(3).ancestors().is_empty());
    }

    #[test]
    fn labels_are_sixteen_lowercase_hex_digits() {
        assert_eq!(MessagePath::root(7).as_str(), "0000000000000007");
        let child = MessagePath::root(7).child(12);
        assert_eq!(child.as_str(), "0000000000000007.000000000000000c");
        assert_eq!(child.depth(), 2);
        assert_eq!(child.root_path(), MessagePath::root(7));
    }

    #[test]
    fn byte_order_is_depth_first_with_siblings_in_creation_order() {
        let root = MessagePath::root(1);
        let first = root.child(2);
        let grandchild = first.child(5);
        let second = root.child(3);
        let next_root = MessagePath::root(4);
        let mut all = vec![
            next_root.clone(),
            second.clone(),
            grandchild.clone(),
            root.clone(),
            first.clone(),
        ];
        all.sort();
        assert_eq!(all, vec![root, first, grandchild, second, next_root]);
        // Past 9 and 15 the hex labels still sort numerically.
        assert!(MessagePath::root(9) < MessagePath::root(10));
        assert!(MessagePath::root(15) < MessagePath::root(16));
    }

    #[test]
    fn only_the_form_parses() {
        assert!(MessagePath::parse("0000000000000007.000000000000000c").is_some());
        for bad in [
            "",
            "7",
            "000000000000000C",
            "0000000000000007.",
            ".0000000000000007",
            "000000000000000g",
            "0000000000000007..000000000000000c",
            "00000000000000007",
        ] {
            assert!(MessagePath::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn within_means_the_same_or_below() {
        let root = MessagePath::root(1);
        let child = root.child(2);
        assert!(child.is_within(&root));
        assert!(root.is_within(&root));
        assert!(!root.is_within(&child));
        assert!(!MessagePath::root(2).child(3).is_within(&root));
    }
}
