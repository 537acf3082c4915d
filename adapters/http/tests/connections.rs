//! The accept loop's bounds over real sockets, on paused time: a slow client
//! that never finishes its headers and an idle kept-alive connection are
//! closed, an open event stream is not, the connection cap holds new
//! connections back until one closes, and `/health` still answers while
//! slow clients fill the cap.

use std::time::Duration;

use futures::stream;
use poem::{Body, EndpointExt, Response, Route, get, handler};
use sybil_http::{ConnectionLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

#[handler]
fn health() -> &'static str {
    "ok"
}

/// One event, then nothing more: a stream waiting on a slow model.
#[handler]
fn events() -> Response {
    let first = stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from("data: hi\n\n")) });
    let never = stream::pending::<Result<bytes::Bytes, std::io::Error>>();
    let body = Body::from_bytes_stream(futures::StreamExt::chain(first, never));
    Response::builder()
        .content_type("text/event-stream")
        .body(body)
}

/// A server with `limits`, on a free port; never stopped (the runtime ends it).
async fn start(limits: ConnectionLimits) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = Route::new()
        .at("/health", get(health))
        .at("/events", get(events))
        .map_to_response()
        .boxed();
    tokio::spawn(serve(
        listener,
        app,
        std::future::pending(),
        Duration::from_secs(1),
        limits,
    ));
    addr
}

fn limits(header_secs: u64, idle_secs: u64, max: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_secs(header_secs),
        idle_timeout: Duration::from_secs(idle_secs),
        max_connections: max,
    }
}

const GET_HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: sybil\r\n\r\n";

/// Longer than any timeout here: waiting this long (paused time) means
/// the server will never act.
const FOREVER: Duration = Duration::from_secs(24 * 3600);

/// Reads one `/health` answer (ends with its body `ok`) and returns it.
async fn read_health(conn: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"\r\n\r\nok") {
        let n = tokio::time::timeout(FOREVER, conn.read(&mut buf))
            .await
            .expect("no answer")
            .unwrap();
        assert!(n > 0, "closed before the answer: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(seen).unwrap()
}

/// True once the server has closed `conn` (end of stream or reset); false
/// when it never does.
async fn closed_by_server(conn: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(FOREVER, conn.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_headers_is_closed() {
    let addr = start(limits(5, 3600, 16)).await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: sy")
        .await
        .unwrap();
    let started = Instant::now();
    assert!(closed_by_server(&mut slow).await);
    assert!(started.elapsed() >= Duration::from_secs(4));

    // Also on a kept-alive connection: the clock starts at the request's
    // first byte, and the long idle timeout does not apply to it.
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    conn.write_all(GET_HEALTH).await.unwrap();
    assert!(read_health(&mut conn).await.starts_with("HTTP/1.1 200"));
    conn.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    assert!(closed_by_server(&mut conn).await);
    assert!(started.elapsed() < Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let addr = start(limits(5, 3600, 16)).await;
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_by_server(&mut silent).await);
}

#[tokio::test(start_paused = true)]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let addr = start(limits(5, 60, 16)).await;
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    conn.write_all(GET_HEALTH).await.unwrap();
    assert!(read_health(&mut conn).await.starts_with("HTTP/1.1 200"));
    let idle_from = Instant::now();
    assert!(closed_by_server(&mut conn).await);
    // The idle timeout, not the shorter header one, closed it.
    assert!(idle_from.elapsed() >= Duration::from_secs(59));
}

#[tokio::test(start_paused = true)]
async fn an_open_event_stream_is_not_cut_by_the_idle_timeout() {
    let addr = start(limits(5, 60, 16)).await;
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET /events HTTP/1.1\r\nHost: sybil\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"data: hi\n\n\r\n") {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the first event");
        seen.extend_from_slice(&buf[..n]);
    }
    // Ten idle timeouts pass with nothing sent: the stream stays open.
    let waited = tokio::time::timeout(Duration::from_secs(600), conn.read(&mut buf)).await;
    assert!(waited.is_err(), "the stream was closed: {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn beyond_the_cap_a_connection_waits_until_one_closes() {
    let addr = start(limits(5, 3600, 2)).await;
    let mut first = TcpStream::connect(&addr).await.unwrap();
    first.write_all(GET_HEALTH).await.unwrap();
    read_health(&mut first).await;
    let mut second = TcpStream::connect(&addr).await.unwrap();
    second.write_all(GET_HEALTH).await.unwrap();
    read_health(&mut second).await;

    // The third is queued by the kernel, not served.
    let mut third = TcpStream::connect(&addr).await.unwrap();
    third.write_all(GET_HEALTH).await.unwrap();
    let mut buf = [0u8; 16];
    let waited = tokio::time::timeout(Duration::from_secs(600), third.read(&mut buf)).await;
    assert!(waited.is_err(), "served beyond the cap: {waited:?}");

    drop(first);
    assert!(read_health(&mut third).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(start_paused = true)]
async fn health_answers_while_slow_clients_fill_the_cap() {
    let addr = start(limits(10, 3600, 3)).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").await.unwrap();
        slow.push(conn);
    }
    let mut probe = TcpStream::connect(&addr).await.unwrap();
    probe.write_all(GET_HEALTH).await.unwrap();
    assert!(read_health(&mut probe).await.starts_with("HTTP/1.1 200"));
    for conn in &mut slow {
        assert!(closed_by_server(conn).await, "a slow client is still held");
    }
}

#[tokio::test(start_paused = true)]
async fn health_answers_at_once_below_the_cap_with_slow_clients_held() {
    let addr = start(limits(10, 3600, 8)).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").await.unwrap();
        slow.push(conn);
    }
    let started = Instant::now();
    let mut probe = TcpStream::connect(&addr).await.unwrap();
    probe.write_all(GET_HEALTH).await.unwrap();
    read_health(&mut probe).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(slow);
}
