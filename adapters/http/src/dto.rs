//! The request and response bodies of the API, and their conversions.

pub mod attachments;
pub mod completions;
pub mod free_json;
pub mod object_only;
pub mod openai_request;
pub mod openai_response;
pub mod requests;
pub mod responses;
pub mod searches;

#[cfg(test)]
mod tests;
