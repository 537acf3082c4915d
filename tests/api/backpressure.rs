//! A client that stops reading its event stream stops the upstream read:
//! Sybil holds a bounded amount per stream between a slow reader and a fast
//! upstream (issue 6, "Memory and backpressure").

use std::time::Duration;

use serde_json::json;
use sybil_testkit::Reply;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{Fakes, spawn_app_with};

/// 10,000 deltas of 500 bytes: 5 MB of text, and about 27 MB of upstream
/// frames (OpenAI's closing events repeat the whole text).
const WORDS: usize = 10_000;
const WORD_BYTES: usize = 500;

/// A client socket with a small receive buffer, so that the kernel does not
/// read megabytes ahead on the client's behalf.
async fn slow_client(addr: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.connect(addr.parse().unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_client_that_stops_reading_stops_the_upstream_read() {
    let fakes = Fakes::start().await;
    // The fakes' 3 s call limit is for tests of failures; 27 MB through a
    // debug build on a loaded machine may take longer, and a timed-out
    // call would end the stream with an `error` instead.
    let mut env = fakes.env();
    env.retain(|(k, _)| k != "UPSTREAM_TIMEOUT_MS");
    env.push(("UPSTREAM_TIMEOUT_MS".into(), "120000".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let text: String = (0..WORDS)
        .map(|i| format!("{i:0>width$} ", width = WORD_BYTES))
        .collect();
    fakes.openai.push(Reply::text(&text));

    let addr = app.base.trim_start_matches("http://");
    let mut client = slow_client(addr).await;
    let body = json!({ "provider": "openai", "model": "m-1",
                       "messages": [{ "role": "user", "content": "tell me a long story" }] })
    .to_string();
    let head = format!(
        "POST /v1/chat-completions/stream HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    client.write_all(body.as_bytes()).await.unwrap();

    // Read until the first delta, then stop reading.
    let mut received = Vec::new();
    let mut buf = vec![0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("event: delta") {
        let n = client.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "the stream ended before its first delta: {}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buf[..n]);
    }
    let paused_at = fakes
        .openai
        .stream_bytes_when_still(Duration::from_millis(300), Duration::from_secs(20))
        .await;
    // Reading on gets the whole answer: the pause lost nothing.
    loop {
        let n = client.read(&mut buf).await.unwrap();
        received.extend_from_slice(&buf[..n]);
        if n == 0 || received.ends_with(b"\r\n0\r\n\r\n") {
            break;
        }
    }
    let received = String::from_utf8_lossy(&received);
    assert!(
        received.contains("event: done"),
        "the stream ends with done"
    );
    assert!(received.len() > text.len());

    // While the client read nothing, the upstream got no further than the
    // socket buffers on both sides allow (a few MB on loopback, where
    // Sybil's send buffer to the client autotunes up to 4 MB): a part of
    // the stream, not all of it.
    let total = fakes.openai.stream_bytes_sent();
    assert!(
        paused_at < total / 2,
        "{paused_at} of {total} upstream bytes went out while the client read nothing"
    );
}
