//! Instants as milliseconds since the Unix epoch, the precision the contract shows.

/// A UTC instant with millisecond precision. Formatting belongs to the edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }
}
