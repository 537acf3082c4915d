//! The request and response bodies of the API, and their conversions.

pub mod attachments;
pub mod completions;
pub mod events;
pub mod free_json;
pub mod object_only;
pub mod openai_request;
pub mod openai_response;
pub mod requests;
pub mod responses;
pub mod searches;
pub mod string_enum;

#[cfg(test)]
mod tests;
