//! The request and response bodies of the API, and their conversions.

pub mod completions;
pub mod events;
pub mod requests;
pub mod responses;
pub mod searches;
