//! The OpenAI-compatible surface under `/openai/v1`: OpenAI's wire format
//! over the same completion use cases as `/v1`.

pub mod convert;
pub mod errors;
pub mod stream;
