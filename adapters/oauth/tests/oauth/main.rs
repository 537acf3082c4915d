//! The sign-in adapters against the fake GitHub and Apple of the test kit.

mod apple;
mod clock;
mod github;
