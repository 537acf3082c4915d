//! The request and response bodies of the API, and their conversions.

pub mod completions;
pub mod requests;
pub mod responses;
