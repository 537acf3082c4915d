//! Black-box tests of the whole server: real storage, real HTTP on port 0.
//! One test binary, so everything links once.

mod chats;
mod completions;
mod helpers;
mod openapi;
mod process;
mod production;
mod resumable;
mod searches;
mod sse;
mod streaming;
mod tools;
