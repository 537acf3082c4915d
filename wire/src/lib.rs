//! The JSON that Sybil's stream events are made of, defined once: the
//! HTTP adapter derives the spec from these types and serialises them, and
//! the storage adapter records a resumable job's events in the same form,
//! so a replay sends what the live stream sent.
//!
//! The events went out with sorted keys (through a `serde_json::Value`)
//! before they were serde types, and serde writes fields in declaration
//! order: so the fields of every event type here are declared in the
//! alphabetical order of their JSON names (a test pins the bytes).

pub mod collab;
pub mod convert;
pub mod events;
pub mod shared;
pub mod string_enum;
pub mod time;

pub use events::StreamEvent;
pub use shared::{ProviderName, RoleName, UsageBody, provider_name};
