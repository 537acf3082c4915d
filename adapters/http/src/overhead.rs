//! The `x-sybil-overhead-ms` header of whole answers: the overhead the use
//! case measured (and recorded in `/metrics` for every mode).

use sybil_ports::inbound::CompletionOutcome;

/// The header's value: milliseconds with three decimals.
pub fn header_value(outcome: &CompletionOutcome) -> String {
    format!("{:.3}", outcome.overhead_ms)
}
