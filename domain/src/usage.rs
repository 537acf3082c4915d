//! Token counts of a model call, or summed over a completion.

/// Token counts. `total_tokens` is kept as the provider reports it (xAI's
/// includes reasoning tokens); for Anthropic it is input + output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_field_by_field() {
        let mut total = Usage::default();
        total += Usage {
            input_tokens: 1,
            output_tokens: 2,
            total_tokens: 4,
        };
        total += Usage {
            input_tokens: 10,
            output_tokens: 20,
            total_tokens: 30,
        };
        assert_eq!(
            total,
            Usage {
                input_tokens: 11,
                output_tokens: 22,
                total_tokens: 34
            }
        );
    }
}
