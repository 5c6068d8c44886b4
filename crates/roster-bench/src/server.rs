//! A fast loopback HTTP/1.1 server with canned responses, on hyper alone.
//!
//! Each request is answered by a plain function of the method, path and
//! query, so no matching engine sits between the client and the numbers
//! (wiremock's matching would dominate them). The server runs on its own
//! OS thread with a single-threaded runtime, counts accepted TCP
//! connections and requests, and can delay every answer to inject latency.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A canned answer: status and JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response body, sent as `application/json`.
    pub body: Bytes,
    /// How many records (users, tenants, members) the body holds, for the
    /// server's count of records read.
    pub records: u64,
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(body: impl Into<Bytes>) -> Self {
        Reply {
            status: StatusCode::OK,
            body: body.into(),
            records: 0,
        }
    }

    /// `status` with an empty body.
    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            body: Bytes::new(),
            records: 0,
        }
    }

    /// Says how many records the body holds.
    pub fn with_records(mut self, records: u64) -> Self {
        self.records = records;
        self
    }

    /// `404 Not Found` with an empty JSON object.
    pub fn not_found() -> Self {
        Reply {
            status: StatusCode::NOT_FOUND,
            body: Bytes::from_static(b"{}"),
            records: 0,
        }
    }
}

/// What the server sees of a request when it picks the reply.
#[derive(Debug)]
pub struct Seen<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path, without the query.
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
}

impl Seen<'_> {
    /// The value of query parameter `name`, undecoded.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then_some(value)
        })
    }
}

/// Picks the reply for a request.
pub type Handler = Arc<dyn Fn(&Seen<'_>) -> Reply + Send + Sync>;

/// Counters the server keeps.
#[derive(Debug, Default)]
pub struct Counters {
    accepted: AtomicU64,
    requests: AtomicU64,
    records: AtomicU64,
}

impl Counters {
    /// TCP connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Records sent so far, as the replies counted them.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::SeqCst)
    }
}

/// A running canned server. It serves until the process exits.
#[derive(Debug, Clone)]
pub struct CannedServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
}

impl CannedServer {
    /// Starts a server on `127.0.0.1` with a free port, answering with
    /// `handler`, each answer delayed by `delay` (none if zero).
    pub fn start(handler: Handler, delay: Duration) -> io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        std::thread::Builder::new()
            .name(format!("canned-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                runtime.block_on(serve(std_listener, handler, delay, thread_counters));
            })?;
        Ok(CannedServer { addr, counters })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

async fn serve(
    std_listener: std::net::TcpListener, handler: Handler, delay: Duration, counters: Arc<Counters>,
) {
    let listener = TcpListener::from_std(std_listener).expect("listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        counters.accepted.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let counters = counters.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let handler = handler.clone();
                let counters = counters.clone();
                async move {
                    let (parts, mut body) = request.into_parts();
                    // Read the request body to its end so the connection
                    // stays reusable.
                    while let Some(frame) =
                        std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
                    {
                        if frame.is_err() {
                            break;
                        }
                    }
                    let reply = handler(&Seen {
                        method: &parts.method,
                        path: parts.uri.path(),
                        query: parts.uri.query(),
                    });
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    counters.requests.fetch_add(1, Ordering::SeqCst);
                    counters.records.fetch_add(reply.records, Ordering::SeqCst);
                    let mut response = Response::new(Canned(Some(reply.body)));
                    *response.status_mut() = reply.status;
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(Io(stream), service)
                .await;
        });
    }
}

/// A whole response body in one frame.
struct Canned(Option<Bytes>);

impl Body for Canned {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>, _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// tokio's `TcpStream` as hyper's IO traits, without `hyper-util`.
struct Io(TcpStream);

impl hyper::rt::Read for Io {
    fn poll_read(
        mut self: Pin<&mut Self>, cx: &mut Context<'_>, mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let mut scratch = [0u8; 16 * 1024];
        let len = buf.remaining().min(scratch.len());
        let mut read = ReadBuf::new(&mut scratch[..len]);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut read))?;
        buf.put_slice(read.filled());
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(
        mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Runs `future` to completion on a fresh single-threaded runtime on the
/// calling thread, so every task it spawns (reqwest's connection tasks
/// included) runs on this thread and its CPU time is this thread's.
pub fn block_on_current_thread<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime")
        .block_on(future)
}
