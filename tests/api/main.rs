//! Black-box tests of the whole server: real storage, real HTTP on port 0.
//! One test binary, so everything links once.

mod accounts;
mod backpressure;
mod chats;
mod completions;
mod conversations;
mod crashed_replica;
mod devbox_stop;
mod frozen_database;
mod helpers;
mod history_races;
mod keepalive;
mod limits;
mod live_replicas;
mod metrics;
mod openai_compat;
mod openapi;
mod overhead;
mod pg_database;
mod process;
mod protocols;
mod rate_limits;
mod readiness;
mod request_ids;
mod resumable;
mod resumable_upgrade;
mod searches;
mod sse;
mod streaming;
mod sybil_process;
mod tools;
mod upstream_nul;
mod validation;
