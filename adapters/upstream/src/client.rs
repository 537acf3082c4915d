//! The pooled HTTP client of one upstream, and reading its answers' headers.

use std::time::Duration;

/// How long an idle pooled connection is kept for the next call.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// A client builder whose `timeout` bounds every silence: connecting, and
/// each wait for the next bytes of an answer (so a stream that stalls that
/// long fails, however long it has been running). A caller that wants a
/// bound on the whole exchange as well adds it: `.timeout(d)` on the
/// builder for every call, or on a request for that one.
pub fn client_builder(timeout: Duration, user_agent: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .pool_idle_timeout(POOL_IDLE)
        .user_agent(user_agent)
}

/// A response header as text, `None` when absent or not visible ASCII.
pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)?
        .to_str()
        .ok()
        .map(str::to_string)
}
