//! One kept-alive HTTP/1.1 connection carries finished resumable streams,
//! stops and the requests after them: every request gets its answer.

use std::time::Duration;

use serde_json::json;
use sybil_testkit::Reply;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::{Fakes, spawn_app_with};
use crate::sse::parse_frames;

/// One response read off the connection: status and body (chunked or sized).
async fn read_response(conn: &mut BufReader<TcpStream>, what: &str) -> (u16, String) {
    let mut line = String::new();
    let n = conn.read_line(&mut line).await.unwrap();
    assert!(n > 0, "{what}: the connection was closed with no answer");
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let (mut length, mut chunked) = (None, false);
    loop {
        line.clear();
        conn.read_line(&mut line).await.unwrap();
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(v) = header.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>().unwrap());
        }
        assert_ne!(header, "connection: close", "{what}: keep-alive refused");
        chunked |= header == "transfer-encoding: chunked";
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await.unwrap();
            let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).await.unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length.unwrap_or(0), 0);
        conn.read_exact(&mut body).await.unwrap();
    }
    (status, String::from_utf8(body).unwrap())
}

/// A server on fresh fakes, without a rate limit; a raw connection to it.
async fn connect() -> (crate::helpers::TestApp, Fakes, String, BufReader<TcpStream>) {
    let fakes = Fakes::start().await;
    let mut env = fakes.env();
    env.push(("RATE_LIMIT_PER_MINUTE".into(), "0".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let host = app.base.trim_start_matches("http://").to_string();
    let conn = BufReader::new(TcpStream::connect(&host).await.unwrap());
    (app, fakes, host, conn)
}

#[tokio::test]
async fn a_connection_that_carried_finished_resumable_streams_answers_every_next_request() {
    let (_app, fakes, host, mut conn) = connect().await;
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
                       "messages": [{ "role": "user", "content": "hi" }] })
    .to_string();
    for round in 0..200 {
        fakes.openai.push(Reply::text("one two three"));
        let request = format!(
            "POST /v1/chat-completions/stream HTTP/1.1\r\nhost: {host}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.get_mut().write_all(request.as_bytes()).await.unwrap();
        let (status, events) = read_response(&mut conn, &format!("stream {round}")).await;
        assert_eq!(status, 200, "{events}");
        let frames = parse_frames(&events);
        assert_eq!(frames.last().unwrap().event, "done", "{events}");

        let id = frames[0].data["completionId"].as_str().unwrap();
        let request =
            format!("GET /v1/chat-completions/{id}/events HTTP/1.1\r\nhost: {host}\r\n\r\n");
        conn.get_mut().write_all(request.as_bytes()).await.unwrap();
        let (status, replay) = read_response(&mut conn, &format!("replay {round}")).await;
        assert_eq!((status, replay), (200, events));

        let request = format!("GET /health HTTP/1.1\r\nhost: {host}\r\n\r\n");
        conn.get_mut().write_all(request.as_bytes()).await.unwrap();
        let (status, _) = read_response(&mut conn, &format!("health {round}")).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn a_request_sent_before_a_stream_ends_is_answered_after_it() {
    let (_app, fakes, host, mut conn) = connect().await;
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
                       "messages": [{ "role": "user", "content": "hi" }] })
    .to_string();
    for round in 0..20 {
        fakes.openai.push(Reply::text("one two three"));
        let request = format!(
            "POST /v1/chat-completions/stream HTTP/1.1\r\nhost: {host}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}\
             GET /health HTTP/1.1\r\nhost: {host}\r\n\r\n",
            body.len()
        );
        conn.get_mut().write_all(request.as_bytes()).await.unwrap();
        let (status, _) = read_response(&mut conn, &format!("stream {round}")).await;
        assert_eq!(status, 200);
        let (status, _) = read_response(&mut conn, &format!("health {round}")).await;
        assert_eq!(status, 200);
    }
}

/// A stop (whose route reads no body) whose body arrives after its headers:
/// the connection stays usable. The wait only gives a server that answers
/// before the body arrives the time to do so; nothing is asserted on time.
#[tokio::test]
async fn a_request_answered_before_its_body_arrived_keeps_the_connection_usable() {
    let (_app, fakes, host, mut conn) = connect().await;
    fakes.openai.push(Reply::text("finished"));
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
                       "messages": [{ "role": "user", "content": "hi" }] })
    .to_string();
    let request = format!(
        "POST /v1/chat-completions/stream HTTP/1.1\r\nhost: {host}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(request.as_bytes()).await.unwrap();
    let (_, events) = read_response(&mut conn, "stream").await;
    let frames = parse_frames(&events);
    let id = frames[0].data["completionId"].as_str().unwrap();
    for (round, path) in [
        format!("/v1/chat-completions/{id}/stop"),
        "/v1/chat-completions/00000000-0000-7000-8000-000000000000/stop".into(),
        "/v1/no-such-route".into(),
    ]
    .iter()
    .enumerate()
    {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\n\
             content-type: application/json\r\ncontent-length: 2\r\n\r\n"
        );
        conn.get_mut().write_all(head.as_bytes()).await.unwrap();
        let _ = tokio::time::timeout(Duration::from_millis(300), conn.fill_buf()).await;
        conn.get_mut().write_all(b"{}").await.unwrap();
        let (status, answer) = read_response(&mut conn, path).await;
        assert!([200, 404].contains(&status), "{status} {answer}");
        let next = format!("GET /health HTTP/1.1\r\nhost: {host}\r\n\r\n");
        conn.get_mut().write_all(next.as_bytes()).await.unwrap();
        let (status, _) = read_response(&mut conn, &format!("health after {round}")).await;
        assert_eq!(status, 200);
    }
}
