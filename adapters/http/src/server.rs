//! The accept loop: each connection served by hyper (HTTP/1.1, or HTTP/2 with
//! prior knowledge) into the poem application, with graceful shutdown.
//!
//! Why not `poem::Server`: when a client leaves while its response body is
//! idle (an event stream waiting on a slow model or a long tool), poem 3.1
//! keeps awaiting the finished hyper connection after asking it to shut down,
//! so the body (and the upstream call it drives) lives on until a ping fails
//! to write, about 30 s later. Here the connection's end drops the body at
//! once, which is what aborts the upstream call.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use tokio::net::{TcpListener, TcpStream};

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting and gives open connections up to `drain` to finish.
///
/// # Errors
/// When the listener's address cannot be read.
pub async fn serve(
    listener: TcpListener,
    app: BoxEndpoint<'static, Response>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()> {
    let app = Arc::new(app);
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    // Small SSE frames go out at once, not after Nagle's wait.
                    let _ = stream.set_nodelay(true);
                    serve_connection(&graceful, stream, app.clone(), local.clone(), remote);
                }
                // Out of file descriptors, say: try again shortly.
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => {
            tracing::warn!(?drain, "connections still open after the drain time; closing them");
        }
    }
    Ok(())
}

fn serve_connection(
    graceful: &GracefulShutdown,
    stream: TcpStream,
    app: Arc<BoxEndpoint<'static, Response>>,
    local: LocalAddr,
    remote: SocketAddr,
) {
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let (app, local, remote) = (app.clone(), local.clone(), remote.clone());
        async move {
            let req = poem::Request::from((req, local, remote, Scheme::HTTP));
            let resp: hyper::Response<_> = app.get_response(req).await.into();
            Ok::<_, Infallible>(resp)
        }
    });
    let watcher = graceful.watcher();
    tokio::spawn(async move {
        // Errors here are clients that went away; nothing to report.
        let ended = if opens_with_h2_preface(&stream).await {
            let conn = http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service);
            watcher.watch(conn).await
        } else {
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            watcher.watch(conn).await
        };
        if let Err(e) = ended {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}

/// What a client speaking HTTP/2 with prior knowledge sends first.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// How long a connection may hold a beginning of the preface before it is
/// taken for HTTP/1.1 (whose own parser then judges its bytes).
const PREFACE_WAIT: Duration = Duration::from_secs(10);

/// Whether the client opens with the HTTP/2 preface. Peeked, so hyper reads
/// every byte itself: hyper-util's `auto` builder reads them first and hands
/// them back as a prefix, after which hyper's read buffer of every
/// connection grew from 8 to 16 KB.
async fn opens_with_h2_preface(stream: &TcpStream) -> bool {
    let peeked = tokio::time::timeout(PREFACE_WAIT, async {
        let mut seen = [0u8; H2_PREFACE.len()];
        loop {
            let n = stream.peek(&mut seen).await.unwrap_or(0);
            if n == 0 || seen[..n] != H2_PREFACE[..n] {
                return false;
            }
            if n == H2_PREFACE.len() {
                return true;
            }
            // Only the start of the preface so far. `peek` returns at once
            // while bytes wait, so give the rest a moment to arrive.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    peeked.await.unwrap_or(false)
}
