//! `FakePages`: an ordinary website for `fetch_url` — HTML, text, binary, redirects, huge and slow pages.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::reply::{self, Reply, ReplyBody, query_param};
use crate::Recorded;
use crate::server::Server;

/// An article whose code (`script`, `style`, `noscript`, `template`,
/// `svg`) must not reach the text; its words contain entities.
pub const ARTICLE_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Fake Article &amp; Friends</title>
  <style>body { color: #333 } .secret-style { display: none }</style>
  <script>window.secretScript = "do not show";</script>
</head>
<body>
  <noscript>Please enable JavaScript (noscript text)</noscript>
  <template><p>template text</p></template>
  <svg width="10" height="10"><title>svg title</title><text>svg text</text></svg>
  <h1>The&nbsp;Headline</h1>
  <p>First paragraph with <b>bold</b> and <a href="/x">a link</a>.</p>
  <p>Second   paragraph,
     over two lines &lt;with brackets&gt; &#8212; caf&eacute;.</p>
  <ul><li>one</li><li>two</li></ul>
  <script type="module">import("/secret.js");</script>
</body>
</html>
"#;

/// `/plain.txt`'s body, served as `text/plain`.
pub const PLAIN_TEXT: &str = "Plain text.\n  Kept   exactly\tas is.\n";
/// `/data.json`'s body.
pub const JSON_DATA: &str = r#"{"name":"sybil","list":[1,2,3]}"#;
/// The start of a PNG file, served as `/image.png`.
pub const PNG_BYTES: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
/// Pages added at run time: path → (content type, body).
type Custom = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

/// Line repeated by `/large`.
const LARGE_LINE: &[u8] = b"0123456789 the quick brown fox jumps over the lazy dog 0123456\n";

/// A fake website on 127.0.0.1:<free port>. Built-in paths:
///
/// | path | answer |
/// |---|---|
/// | `/article.html` | [`ARTICLE_HTML`], `text/html; charset=utf-8` |
/// | `/plain.txt`, `/data.json` | [`PLAIN_TEXT`] as `text/plain`, [`JSON_DATA`] as `application/json` |
/// | `/latin1.txt` | `café` in ISO-8859-1, charset declared |
/// | `/image.png` | [`PNG_BYTES`] as `image/png` |
/// | `/untyped.bin`, `/untyped.txt` | binary / text with no `Content-Type` |
/// | `/chain/N` | N redirects (302), ending at `/article.html` |
/// | `/redirect?to=URL[&status=301]` | one redirect to `URL` (absolute or relative) |
/// | `/large?bytes=N` | at least N bytes of `text/plain`, length announced |
/// | `/slow?ms=N` | `/article.html` after N ms |
/// | `/drip?ms=N&chunks=K` | headers at once, then K text chunks N ms apart |
/// | `/status/CODE` | that status with a small HTML page |
///
/// Pages added with [`FakePages::set_page`] take precedence.
pub struct FakePages {
    server: Server,
    custom: Custom,
}

impl FakePages {
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakePages {
        let custom: Custom = Arc::default();
        let pages = custom.clone();
        let server = Server::start(reply::handler(Arc::new(move |r: &Recorded| {
            let page = pages
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&r.path)
                .cloned();
            match page {
                Some((content_type, body)) => Reply::bytes(200, &content_type, body),
                None => route(r),
            }
        })));
        FakePages { server, custom }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `base_url()` + `path` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The socket address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Serve `body` with `content_type` at `path` from now on.
    pub fn set_page(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.custom
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_owned(), (content_type.to_owned(), body.into()));
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Whether `n` requests had arrived within `within`.
    pub async fn requests_reach(&self, n: usize, within: Duration) -> bool {
        self.server.requests_reach(n, within).await
    }
}

impl fmt::Debug for FakePages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePages")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn number(r: &Recorded, name: &str, default: u64) -> u64 {
    query_param(r, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn redirect(status: u16, to: &str) -> Reply {
    Reply::html(status, "<!doctype html><title>Moved</title><p>Moved.</p>").header("location", to)
}

fn route(r: &Recorded) -> Reply {
    let path = r.path.as_str();
    if let Some(n) = path
        .strip_prefix("/chain/")
        .and_then(|n| n.parse::<u32>().ok())
    {
        return match n {
            0 | 1 => redirect(302, "/article.html"),
            n => redirect(302, &format!("/chain/{}", n - 1)),
        };
    }
    if let Some(code) = path
        .strip_prefix("/status/")
        .and_then(|c| c.parse::<u16>().ok())
    {
        return Reply::html(
            code,
            &format!("<!doctype html><title>{code}</title><h1>Status {code}</h1>"),
        );
    }
    match path {
        "/article.html" => Reply::html(200, ARTICLE_HTML),
        "/plain.txt" => Reply::bytes(200, "text/plain; charset=utf-8", PLAIN_TEXT),
        "/data.json" => Reply::bytes(200, "application/json", JSON_DATA),
        "/latin1.txt" => Reply::bytes(200, "text/plain; charset=iso-8859-1", b"caf\xe9".to_vec()),
        "/image.png" => Reply::bytes(200, "image/png", PNG_BYTES),
        "/untyped.bin" => untyped(PNG_BYTES.to_vec()),
        "/untyped.txt" => untyped(b"no content type, just words".to_vec()),
        "/redirect" => {
            let to = query_param(r, "to").unwrap_or_else(|| "/article.html".into());
            let status = u16::try_from(number(r, "status", 302)).unwrap_or(302);
            redirect(status, &to)
        }
        "/large" => {
            let bytes = usize::try_from(number(r, "bytes", 4 * 1024 * 1024)).unwrap_or(usize::MAX);
            let chunk = LARGE_LINE.repeat(256);
            let count = bytes.div_ceil(chunk.len()).max(1);
            Reply {
                body: ReplyBody::Repeat {
                    chunk,
                    count,
                    every: Duration::ZERO,
                },
                ..Reply::bytes(200, "text/plain; charset=utf-8", Vec::new())
            }
        }
        "/slow" => {
            Reply::html(200, ARTICLE_HTML).after(Duration::from_millis(number(r, "ms", 1000)))
        }
        "/drip" => {
            let count = usize::try_from(number(r, "chunks", 20)).unwrap_or(20);
            Reply {
                body: ReplyBody::Repeat {
                    chunk: b"drip\n".to_vec(),
                    count,
                    every: Duration::from_millis(number(r, "ms", 100)),
                },
                ..Reply::bytes(200, "text/plain", Vec::new())
            }
        }
        _ => Reply::html(
            404,
            "<!doctype html><title>404 Not Found</title><h1>Not Found</h1>",
        ),
    }
}

fn untyped(body: Vec<u8>) -> Reply {
    let mut reply = Reply::bytes(200, "", body);
    reply.headers.clear();
    reply
}
