//! The accept loop: each connection served by hyper (HTTP/1.1, or HTTP/2 with
//! prior knowledge) into the poem application, with graceful shutdown, a cap
//! on open connections, and header-read and idle timeouts (see `activity`).
//!
//! Why not `poem::Server`: when a client leaves while its response body is
//! idle (an event stream waiting on a slow model or a long tool), poem 3.1
//! keeps awaiting the finished hyper connection after asking it to shut down,
//! so the body (and the upstream call it drives) lives on until a ping fails
//! to write, about 30 s later. Here the connection's end drops the body at
//! once, which is what aborts the upstream call.

mod activity;

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
use poem::endpoint::{BoxEndpoint, DynEndpoint};
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use self::activity::ConnectionLimits;
use self::activity::{Activity, TrackedBody, WatchedIo};

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting and gives open connections up to `drain` to finish.
///
/// At `limits.max_connections` open connections, no more are accepted until
/// one closes: new ones wait in the kernel's listen queue, holding no file
/// descriptor of ours. Slow or idle connections cannot hold the cap for long:
/// the header-read and idle timeouts close them.
///
/// # Errors
/// When the listener's address cannot be read.
pub async fn serve(
    listener: TcpListener,
    app: BoxEndpoint<'static, Response>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
    limits: ConnectionLimits,
) -> io::Result<()> {
    let app = Arc::new(app);
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    tokio::pin!(shutdown);
    loop {
        if slots.available_permits() == 0 {
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection cap reached; new connections wait until one closes"
            );
        }
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    // Small SSE frames go out at once, not after Nagle's wait.
                    let _ = stream.set_nodelay(true);
                    let conn = Conn { stream, remote, slot, limits };
                    serve_connection(&graceful, conn, app.clone(), local.clone());
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

/// An accepted connection and the slot it holds under the cap.
struct Conn {
    stream: TcpStream,
    remote: SocketAddr,
    slot: OwnedSemaphorePermit,
    limits: ConnectionLimits,
}

fn serve_connection(
    graceful: &GracefulShutdown,
    conn: Conn,
    app: Arc<BoxEndpoint<'static, Response>>,
    local: LocalAddr,
) {
    let Conn {
        stream,
        remote,
        slot,
        limits,
    } = conn;
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    let activity = Activity::new();
    let tracked = activity.clone();
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let (app, local, remote) = (app.clone(), local.clone(), remote.clone());
        let in_flight = tracked.begin();
        // hyper keeps this future's box for the connection's whole life (an
        // event stream's included), so it holds no `poem::Request`: the
        // request goes straight into the app's own boxed future, freed once
        // the response is ready. Through `Endpoint::get_response` three
        // nested `async fn`s each kept a copy of it (2.3 KB a connection).
        async move {
            let req = poem::Request::from((req, local, remote, Scheme::HTTP));
            let resp = match DynEndpoint::call(&**app, req).await {
                Ok(resp) => resp,
                Err(err) => err.into_response(),
            };
            let resp: hyper::Response<_> = resp.into();
            Ok::<_, Infallible>(resp.map(|inner| TrackedBody {
                inner,
                _in_flight: in_flight,
            }))
        }
    });
    let watcher = graceful.watcher();
    // The task lives as long as the connection, an open event stream's
    // included, so its future is kept small: the connection's future is
    // written inside `select!` (as a local first, it was stored twice: 4.2
    // KB a connection, now 1.6), and an HTTP/2 connection's (twice an
    // HTTP/1.1 one's) is boxed, so that HTTP/1.1 ones do not carry its size.
    tokio::spawn(async move {
        let _slot = slot;
        tokio::select! {
            ended = async {
                if opens_with_h2_preface(&stream).await {
                    activity.set_http2();
                    let io = TokioIo::new(WatchedIo::new(stream, activity.clone()));
                    let conn = http2::Builder::new(TokioExecutor::new()).serve_connection(io, service);
                    Box::pin(watcher.watch(conn)).await
                } else {
                    let io = TokioIo::new(WatchedIo::new(stream, activity.clone()));
                    let conn = http1::Builder::new().serve_connection(io, service);
                    watcher.watch(conn).await
                }
            } => if let Err(e) = ended {
                // Errors here are clients that went away; nothing to report.
                tracing::debug!(error = %e, "connection ended with an error");
            },
            // Dropping the connection closes it: nothing is in flight on it.
            () = activity.expired(limits) => {
                tracing::debug!("closed a connection past its header-read or idle timeout");
            }
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
