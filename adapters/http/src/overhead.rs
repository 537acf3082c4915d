//! The gateway's own cost of a completion, measured from the moment its
//! handler starts: the `x-sybil-overhead-ms` header of whole answers and the
//! overhead histogram of `/metrics` (streams included).

use std::time::Instant;

use futures::StreamExt;
use futures::stream::BoxStream;
use sybil_ports::inbound::CompletionEvent;
use sybil_ports::outbound::metrics::{CompletionMode, record_completion_overhead};

/// Records a whole answer's overhead and formats it for the header.
pub fn whole_answer_header(started: Instant, wait_ms: f64) -> String {
    let ms = record_completion_overhead(CompletionMode::Whole, started.elapsed(), wait_ms);
    format!("{ms:.3}")
}

/// Passes a stream's events through, recording the overhead when `done`
/// goes by (the time to it, minus waiting on upstreams and tools).
pub fn measure_stream(
    events: BoxStream<'static, CompletionEvent>,
    started: Instant,
) -> BoxStream<'static, CompletionEvent> {
    events
        .inspect(move |event| {
            if let CompletionEvent::Done(outcome) = event {
                record_completion_overhead(
                    CompletionMode::Stream,
                    started.elapsed(),
                    outcome.wait_ms,
                );
            }
        })
        .boxed()
}
