//! The protocols a connection may open with: HTTP/1.1, and HTTP/2 with prior
//! knowledge, told apart by the connection's first bytes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app;

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
}

/// A request whose first byte could begin the HTTP/2 preface ("P") and whose
/// rest comes later is still read as HTTP/1.1, whole.
#[tokio::test]
async fn an_http1_request_that_arrives_in_pieces_is_served() {
    let app = spawn_app().await;
    let host = app.base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(host).await.unwrap();
    stream.write_all(b"P").await.unwrap();
    // Simulation of a slow client, not an order: were both pieces read
    // together, the request would still have to be served.
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream
        .write_all(
            format!(
                "OST /v1/chats HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                 Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("\"chat\""), "{answer}");
}
