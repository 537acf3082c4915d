//! The floor on poem (a `Route` of handlers, served through hyper as Sybil
//! serves its application) and reqwest (the upstream client), as Sybil: a
//! completion is read, sent upstream and answered; a stream passes the
//! upstream's events through as they come. No logging, metrics, rows,
//! validation or middleware.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use poem::endpoint::DynEndpoint;
use poem::http::StatusCode;
use poem::http::uri::Scheme;
use poem::web::{Data, LocalAddr, RemoteAddr};
use poem::{Addr, Body, EndpointExt, Response, Route, get, handler, post};
use sybil_floor::{reply_body, settings, upstream_body};

struct Upstream {
    client: reqwest::Client,
    url: String,
}

impl Upstream {
    async fn send(&self, body: &[u8], stream: bool) -> poem::Result<reqwest::Response> {
        let body = upstream_body(body, stream).map_err(poem::error::BadRequest)?;
        self.client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(poem::error::BadGateway)
    }
}

#[handler]
fn health() -> &'static str {
    "ok"
}

#[handler]
async fn complete(body: Bytes, up: Data<&Arc<Upstream>>) -> poem::Result<Response> {
    let answer = up.send(&body, false).await?;
    let answer = answer.bytes().await.map_err(poem::error::BadGateway)?;
    let reply =
        reply_body(&answer).map_err(|e| poem::Error::from_string(e, StatusCode::BAD_GATEWAY))?;
    Ok(Response::builder()
        .content_type("application/json")
        .body(reply))
}

#[handler]
async fn stream_events(body: Bytes, up: Data<&Arc<Upstream>>) -> poem::Result<Response> {
    let events = up
        .send(&body, true)
        .await?
        .bytes_stream()
        .map_err(std::io::Error::other);
    Ok(Response::builder()
        .content_type("text/event-stream")
        .body(Body::from_bytes_stream(events)))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (addr, url) = settings();
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .map_err(std::io::Error::other)?;
    let app = Route::new()
        .at("/health", get(health))
        .at("/v1/chat-completions", post(complete))
        .at("/v1/chat-completions/stream", post(stream_events))
        .data(Arc::new(Upstream { client, url }))
        .boxed();
    let app = Arc::new(app);
    // Served as Sybil serves its poem application (adapters/http's server):
    // hyper's HTTP/1.1 connection, no Nagle, each request into the boxed
    // endpoint. poem's own `Server` leaves Nagle on (first deltas 40 ms late).
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    loop {
        let (socket, remote) = listener.accept().await?;
        socket.set_nodelay(true)?;
        let (app, local) = (app.clone(), local.clone());
        let remote = RemoteAddr(Addr::SocketAddr(remote));
        let service = service_fn(move |req: hyper::Request<Incoming>| {
            let (app, local, remote) = (app.clone(), local.clone(), remote.clone());
            async move {
                let req = poem::Request::from((req, local, remote, Scheme::HTTP));
                let resp = match DynEndpoint::call(&**app, req).await {
                    Ok(resp) => resp,
                    Err(err) => err.into_response(),
                };
                Ok::<_, Infallible>(hyper::Response::from(resp))
            }
        });
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}
