//! The floor on hyper alone (server, and hyper-util's client, which reqwest
//! wraps): the same work as `floor-poem` without poem's routing and
//! reqwest's layers.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sybil_floor::{reply_body, settings, upstream_body};

type Reply = Response<BoxBody<Bytes, hyper::Error>>;

struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    let body = Full::new(body.into()).map_err(|never: Infallible| match never {});
    let mut resp = Response::new(body.boxed());
    *resp.status_mut() = status;
    resp
}

async fn serve(req: Request<Incoming>, up: Arc<Upstream>) -> Result<Reply, hyper::Error> {
    let stream = match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => return Ok(text(StatusCode::OK, "ok")),
        (&Method::POST, "/v1/chat-completions") => false,
        (&Method::POST, "/v1/chat-completions/stream") => true,
        _ => return Ok(text(StatusCode::NOT_FOUND, "")),
    };
    let body = req.into_body().collect().await?.to_bytes();
    let Ok(body) = upstream_body(&body, stream) else {
        return Ok(text(StatusCode::BAD_REQUEST, "bad request"));
    };
    let send = Request::post(up.uri.clone())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map(|r| up.client.request(r));
    let answer = match send {
        Ok(pending) => match pending.await {
            Ok(answer) => answer,
            Err(e) => return Ok(text(StatusCode::BAD_GATEWAY, format!("{e:?}"))),
        },
        Err(e) => return Ok(text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    };
    if stream {
        let mut resp = Response::new(answer.into_body().boxed());
        resp.headers_mut().insert(
            "content-type",
            "text/event-stream".parse().expect("a valid header"),
        );
        return Ok(resp);
    }
    let answer = answer.into_body().collect().await?.to_bytes();
    Ok(match reply_body(&answer) {
        Ok(reply) => {
            let mut resp = text(StatusCode::OK, reply);
            resp.headers_mut().insert(
                "content-type",
                "application/json".parse().expect("a valid header"),
            );
            resp
        }
        Err(e) => text(StatusCode::BAD_GATEWAY, e),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (addr, url) = settings();
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let up = Arc::new(Upstream {
        client: Client::builder(TokioExecutor::new()).build(connector),
        uri: url.parse().map_err(std::io::Error::other)?,
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    loop {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        let up = up.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| serve(req, up.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}
