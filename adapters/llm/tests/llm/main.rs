//! The real adapters against the testkit's fake upstreams on 127.0.0.1.

mod anthropic;
mod backpressure;
mod openai;
mod support;
mod xai;
