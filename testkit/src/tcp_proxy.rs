//! A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL in the
//! tests), to play network faults: frozen (no byte passes, nothing is
//! closed, as with a stalled network or a frozen database host), cut (every
//! connection through it is closed) and refusing (new connections are
//! closed at once, as while a server restarts).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

struct Shared {
    upstream: SocketAddr,
    /// `true` while frozen.
    frozen: watch::Sender<bool>,
    /// Bumped by `cut`: connections opened before close.
    generation: watch::Sender<u64>,
    refusing: AtomicBool,
    refused: AtomicU64,
    refused_changed: Notify,
}

/// See the module docs. Stops when dropped.
pub struct TcpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    ///
    /// # Panics
    /// When no port can be bound.
    pub async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream,
            frozen: watch::Sender::new(false),
            generation: watch::Sender::new(0),
            refusing: AtomicBool::new(false),
            refused: AtomicU64::new(0),
            refused_changed: Notify::new(),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        TcpProxy {
            addr,
            shared,
            accept,
        }
    }

    /// A proxy in front of the server of a URL such as `postgres://…`, and
    /// the same URL pointed at the proxy.
    ///
    /// # Panics
    /// When the URL has no host and port, or its host does not resolve.
    pub async fn in_front_of(url: &str) -> (TcpProxy, String) {
        let mut through = url::Url::parse(url).expect("a URL");
        let host = through.host_str().expect("a host in the URL").to_string();
        let port = through.port_or_known_default().unwrap_or(5432);
        let upstream = tokio::net::lookup_host((host.as_str(), port))
            .await
            .expect("resolve the server")
            .next()
            .expect("an address for the server");
        let proxy = TcpProxy::start(upstream).await;
        through
            .set_ip_host(proxy.addr.ip())
            .expect("a URL that takes a host");
        through
            .set_port(Some(proxy.addr.port()))
            .expect("a URL that takes a port");
        (proxy, through.into())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops passing bytes in both directions; connections stay open and new
    /// ones are accepted, and nothing they send gets through.
    pub fn freeze(&self) {
        self.shared.frozen.send_replace(true);
    }

    /// Passes bytes again, those held back first.
    pub fn thaw(&self) {
        self.shared.frozen.send_replace(false);
    }

    /// Closes every connection open now (both sides).
    pub fn cut(&self) {
        self.shared.generation.send_modify(|g| *g += 1);
    }

    /// While `true`, each new connection is closed as soon as it is accepted.
    pub fn set_refusing(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
    }

    /// Waits until at least `n` connections were refused in all.
    pub async fn refused_at_least(&self, n: u64) {
        loop {
            let changed = self.shared.refused_changed.notified();
            if self.shared.refused.load(Ordering::SeqCst) >= n {
                return;
            }
            changed.await;
        }
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((client, _)) = listener.accept().await {
        if shared.refusing.load(Ordering::SeqCst) {
            drop(client);
            shared.refused.fetch_add(1, Ordering::SeqCst);
            shared.refused_changed.notify_waiters();
            continue;
        }
        tokio::spawn(relay(client, shared.clone()));
    }
}

async fn relay(client: TcpStream, shared: Arc<Shared>) {
    let mut generation = shared.generation.subscribe();
    generation.mark_unchanged();
    let Ok(server) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, shared.frozen.subscribe());
    let down = pump(server_read, client_write, shared.frozen.subscribe());
    // Either direction ending, or a cut, closes both sockets.
    tokio::select! {
        () = up => {}
        () = down => {}
        _ = generation.changed() => {}
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut frozen: watch::Receiver<bool>) {
    let mut buf = vec![0_u8; 16 * 1024];
    loop {
        if frozen.wait_for(|f| !*f).await.is_err() {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Bytes read just before a freeze are held back too.
        if frozen.wait_for(|f| !*f).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
