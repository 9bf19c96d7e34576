//! `GET /runtime/invocation/next`, with the event's body read straight
//! into one buffer.
//!
//! `lambda_runtime` polls with hyper, which hands a body over in the pieces
//! it read it in (at most about 400 KB each), and then joins them: a copy of
//! the whole event, the size of the event, on every invocation (3.6-4.3% of
//! a warm 3 MB invocation's time, see bench/README.md). This client reads
//! the response's head into a small buffer and the body from the socket
//! into a buffer of its own: a body with a `Content-Length`, or in one
//! chunk, is copied once, by the kernel; a body in many chunks grows its
//! buffer as a `Vec` grows (doubling), at most as many copies again.
//!
//! What it speaks is the little HTTP/1.1 the Runtime API needs
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>): one
//! `GET` at a time on a kept-alive connection, and a `200` answer whose body
//! comes with a `Content-Length` or chunked (Lambda's Runtime API writes
//! large events chunked). Anything else is an error, and the function
//! stops, as it does when `lambda_runtime` cannot reach the Runtime API
//! (`runtime.rs` lists where this differs from `lambda_runtime`).
//! The headers become the [`Context`] through `lambda_runtime`'s own
//! `Context::new`; the tests hold what this reads to what
//! `lambda_runtime`'s client reads from the same bytes.
//!
//! Every read is bounded: a head of at most [`MAX_HEAD`] bytes, chunk-size
//! lines of at most [`MAX_LINE`], and a body allocated up front only up to
//! [`MAX_PREALLOC`] (past it, the buffer grows as bytes actually arrive).

use std::fmt;
use std::io;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_runtime::Context;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The largest response head read (the Runtime API's is well under 2 KB).
pub const MAX_HEAD: usize = 64 * 1024;
/// The longest chunk-size or trailer line read.
pub const MAX_LINE: usize = 1024;
/// The most allocated for a body before its bytes arrive: above Lambda's
/// 6 MB synchronous payload, so an event is read into one allocation.
pub const MAX_PREALLOC: usize = 8 << 20;
/// The most headers a response may have.
const MAX_HEADERS: usize = 64;
/// What is read ahead of the body into the head's buffer, at most.
const READ_AHEAD: usize = 8 * 1024;

const NEXT_PATH: &str = "/2018-06-01/runtime/invocation/next";

/// One invocation, as the Runtime API handed it out.
pub struct Invocation {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The body's length only: an invocation printed for debugging must not
/// print the event.
impl fmt::Debug for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invocation")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Invocation {
    /// The request id, checked to be there.
    pub fn request_id(&self) -> Result<&str, NextError> {
        self.headers
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .ok_or(NextError::Malformed("no lambda-runtime-aws-request-id"))
    }

    /// The invocation's context, built by `lambda_runtime` from the headers
    /// as it builds it for its own handlers.
    pub fn context(&self, env_config: Arc<lambda_runtime::Config>) -> Result<Context, NextError> {
        // `Context::new` panics without a deadline: refused here instead.
        if !self.headers.contains_key("lambda-runtime-deadline-ms") {
            return Err(NextError::Malformed("no lambda-runtime-deadline-ms"));
        }
        Context::new(self.request_id()?, env_config, &self.headers)
            // The reason is not kept: serde_json's messages quote the value
            // they refused, and these headers carry identities.
            .map_err(|_| NextError::Context)
    }
}

/// Why the next invocation could not be read.
#[derive(Debug)]
pub enum NextError {
    /// The connection failed or closed early.
    Io(io::Error),
    /// The Runtime API answered something other than `200`.
    Status(u16),
    /// The answer is not HTTP/1.1 as the Runtime API writes it.
    Malformed(&'static str),
    /// `lambda_runtime` refused the headers as a context (a deadline that
    /// is not a number, a client context or identity that is not JSON).
    Context,
}

impl fmt::Display for NextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextError::Io(e) => write!(f, "reading the next invocation: {e}"),
            NextError::Status(s) => write!(f, "the Runtime API answered status {s} to next"),
            NextError::Malformed(why) => write!(f, "the next invocation is malformed: {why}"),
            NextError::Context => write!(
                f,
                "the next invocation's headers are not a context lambda_runtime accepts"
            ),
        }
    }
}

impl std::error::Error for NextError {}

impl From<io::Error> for NextError {
    fn from(e: io::Error) -> Self {
        NextError::Io(e)
    }
}

/// Polls the Runtime API at one address, over one kept-alive connection.
pub struct Next {
    address: String,
    request: Vec<u8>,
    conn: Option<Conn>,
}

impl Next {
    /// `address` is `AWS_LAMBDA_RUNTIME_API`'s value (`host:port`).
    pub fn new(address: &str) -> Self {
        // The request lambda_runtime sends: its user agent, and the host
        // hyper adds from the address.
        let probe = lambda_runtime_api_client::build_request()
            .body(())
            .unwrap_or_default();
        let user_agent = probe
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("aws-lambda-rust");
        let request = format!(
            "GET {NEXT_PATH} HTTP/1.1\r\nhost: {address}\r\nuser-agent: {user_agent}\r\n\r\n"
        )
        .into_bytes();
        Next {
            address: address.to_owned(),
            request,
            conn: None,
        }
    }

    /// Waits for the next invocation.
    pub async fn next(&mut self) -> Result<Invocation, NextError> {
        loop {
            match self.poll().await {
                // A debug build skips `204 No Content`, as lambda_runtime's
                // does: local emulators (cargo-lambda) answer a poll with
                // it to keep the runtime alive while no event is queued.
                #[cfg(debug_assertions)]
                Err(NextError::Status(204)) => continue,
                other => return other,
            }
        }
    }

    async fn poll(&mut self) -> Result<Invocation, NextError> {
        // A kept-alive connection the Runtime API has closed meanwhile
        // fails before a byte of the answer: asked again on a new one.
        let reused = self.conn.is_some();
        match self.exchange().await {
            Err(Exchange::BeforeAnswer(_)) if reused => {
                self.conn = None;
                self.exchange().await.map_err(Exchange::into_error)
            }
            other => other.map_err(Exchange::into_error),
        }
    }

    async fn exchange(&mut self) -> Result<Invocation, Exchange> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let stream = TcpStream::connect(&self.address)
                    .await
                    .map_err(|e| Exchange::Failed(e.into()))?;
                // The request goes out in one write; no reason to hold it.
                stream
                    .set_nodelay(true)
                    .map_err(|e| Exchange::Failed(e.into()))?;
                self.conn.insert(Conn::new(stream))
            }
        };
        let answer = conn.exchange(&self.request).await;
        match &answer {
            Ok((_, keep)) if *keep => {}
            _ => self.conn = None,
        }
        answer.map(|(invocation, _)| invocation)
    }
}

/// How an exchange failed: before any of the answer arrived (then a reused
/// connection is retried once) or later.
enum Exchange {
    BeforeAnswer(NextError),
    Failed(NextError),
}

impl Exchange {
    fn into_error(self) -> NextError {
        match self {
            Exchange::BeforeAnswer(e) | Exchange::Failed(e) => e,
        }
    }
}

/// One connection and what was read ahead on it.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    pos: usize,
}

/// How the body is framed.
enum Framing {
    Length(usize),
    Chunked,
    /// Neither: the body runs to the end of the stream.
    ToClose,
}

impl Conn {
    fn new(stream: TcpStream) -> Self {
        Conn {
            stream,
            buf: Vec::with_capacity(READ_AHEAD),
            pos: 0,
        }
    }

    fn buffered(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    /// Reads more into the buffer, until it holds at most `limit` unread
    /// bytes (what runs past a head or a line is body, copied once more
    /// from here: kept small). `Ok(false)` at the end of the stream.
    async fn fill(&mut self, limit: usize) -> io::Result<bool> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let room = limit.saturating_sub(self.buf.len());
        if room == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        self.buf.reserve(room);
        let n = (&mut self.stream)
            .take(room as u64)
            .read_buf(&mut self.buf)
            .await?;
        Ok(n > 0)
    }

    /// Sends the request and reads the whole answer; the flag says whether
    /// the connection may be used again.
    async fn exchange(&mut self, request: &[u8]) -> Result<(Invocation, bool), Exchange> {
        if !self.buffered().is_empty() {
            // Bytes nobody asked for: the connection is out of step.
            return Err(Exchange::Failed(NextError::Malformed(
                "bytes before the answer",
            )));
        }
        self.stream
            .write_all(request)
            .await
            .map_err(|e| Exchange::BeforeAnswer(e.into()))?;
        let (status, headers, framing, close) = loop {
            match parse_head(self.buffered()) {
                Ok(Some((len, head))) => {
                    self.consume(len);
                    break head;
                }
                Ok(None) => {}
                Err(e) => return Err(Exchange::Failed(e)),
            }
            let nothing_yet = self.buffered().is_empty();
            // A head longer than the usual read-ahead may grow to MAX_HEAD.
            let limit = if self.buffered().len() < READ_AHEAD {
                READ_AHEAD
            } else {
                MAX_HEAD
            };
            match self.fill(limit).await {
                Ok(true) => {}
                Ok(false) if nothing_yet => {
                    return Err(Exchange::BeforeAnswer(NextError::Io(
                        io::ErrorKind::UnexpectedEof.into(),
                    )))
                }
                Ok(false) => {
                    return Err(Exchange::Failed(NextError::Io(
                        io::ErrorKind::UnexpectedEof.into(),
                    )))
                }
                Err(e) if nothing_yet => return Err(Exchange::BeforeAnswer(e.into())),
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(Exchange::Failed(NextError::Malformed("head too long")))
                }
                Err(e) => return Err(Exchange::Failed(e.into())),
            }
        };
        let body = match framing {
            Framing::Length(n) => self.read_body(n, Vec::new()).await,
            Framing::Chunked => self.read_chunked().await,
            Framing::ToClose => self.read_to_close().await,
        }
        .map_err(Exchange::Failed)?;
        if status != 200 {
            return Err(Exchange::Failed(NextError::Status(status)));
        }
        let keep = !close && self.buffered().is_empty();
        Ok((Invocation { headers, body }, keep))
    }

    /// Appends `n` body bytes to `body`: what was read ahead, then straight
    /// from the socket into `body`'s own memory.
    async fn read_body(&mut self, n: usize, mut body: Vec<u8>) -> Result<Vec<u8>, NextError> {
        let ahead = self.buffered().len().min(n);
        // A whole body, or a first chunk, gets exactly its room; later
        // chunks grow the buffer as `reserve` does (doubling), so a body
        // sent in many chunks costs linear work, not a copy per chunk.
        if body.is_empty() {
            body.reserve_exact(n.min(MAX_PREALLOC));
        } else {
            body.reserve(n.min(MAX_PREALLOC));
        }
        body.extend_from_slice(self.buffered().get(..ahead).unwrap_or_default());
        self.consume(ahead);
        let mut left = n - ahead;
        while left > 0 {
            body.reserve(left.min(MAX_PREALLOC));
            let got = (&mut self.stream)
                .take(left as u64)
                .read_buf(&mut body)
                .await?;
            if got == 0 {
                return Err(NextError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            left -= got;
        }
        Ok(body)
    }

    /// A body that runs to the end of the stream.
    async fn read_to_close(&mut self) -> Result<Vec<u8>, NextError> {
        let mut body = self.buffered().to_vec();
        self.consume(body.len());
        self.stream.read_to_end(&mut body).await?;
        Ok(body)
    }

    /// A chunked body: each chunk's bytes read as [`read_body`](Self::read_body)
    /// reads a whole body, the trailers skipped.
    async fn read_chunked(&mut self) -> Result<Vec<u8>, NextError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = chunk_size(&line).ok_or(NextError::Malformed("chunk size"))?;
            if size == 0 {
                break;
            }
            body = self.read_body(size, body).await?;
            if !self.read_line().await?.is_empty() {
                return Err(NextError::Malformed("chunk not ended by CRLF"));
            }
        }
        // Trailers, up to the empty line.
        while !self.read_line().await?.is_empty() {}
        Ok(body)
    }

    /// One line without its CRLF, at most [`MAX_LINE`] bytes.
    async fn read_line(&mut self) -> Result<Vec<u8>, NextError> {
        loop {
            if let Some(end) = memchr_crlf(self.buffered()) {
                let line = self.buffered().get(..end).unwrap_or_default().to_vec();
                self.consume(end + 2);
                return Ok(line);
            }
            if self.buffered().len() > MAX_LINE {
                return Err(NextError::Malformed("line too long"));
            }
            if !self.fill(READ_AHEAD).await? {
                return Err(NextError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }
}

fn memchr_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

/// A chunk-size line's size: hex digits, then optional whitespace and
/// extensions (nothing before the digits, as hyper reads it).
fn chunk_size(line: &[u8]) -> Option<usize> {
    let digits = line.split(|&b| b == b';').next()?.trim_ascii_end();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0usize, |size, &d| {
        let digit = usize::try_from(char::from(d).to_digit(16)?).ok()?;
        size.checked_mul(16)?.checked_add(digit)
    })
}

/// The status, headers, body framing and whether the server closes the
/// connection; with the head's length. `Ok(None)` until the head is whole.
#[allow(clippy::type_complexity)]
fn parse_head(bytes: &[u8]) -> Result<Option<(usize, (u16, HeaderMap, Framing, bool))>, NextError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if bytes.len() >= MAX_HEAD => {
            return Err(NextError::Malformed("head too long"))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(NextError::Malformed("not an HTTP/1.1 response head")),
    };
    let status = response.code.unwrap_or_default();
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    let mut length = None;
    let mut chunked = false;
    let mut close = response.version == Some(0);
    for h in response.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| NextError::Malformed("header name"))?;
        let value =
            HeaderValue::from_bytes(h.value).map_err(|_| NextError::Malformed("header value"))?;
        if name == http::header::CONTENT_LENGTH {
            // Digits only (`str::parse` would also take a `+`).
            let digits = h.value.trim_ascii();
            let n = std::str::from_utf8(digits)
                .ok()
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<usize>().ok())
                .ok_or(NextError::Malformed("content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(NextError::Malformed("two content-lengths"));
            }
            length = Some(n);
        } else if name == http::header::TRANSFER_ENCODING {
            // Only `chunked` (last) is a framing this client reads.
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            if !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Err(NextError::Malformed("transfer-encoding other than chunked"));
            }
            chunked = true;
        } else if name == http::header::CONNECTION {
            close |= h
                .value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"));
        }
        headers.append(name, value);
    }
    let framing = match (chunked, length) {
        // These never have a body, whatever the headers say (as hyper reads them).
        _ if status < 200 || status == 204 || status == 304 => Framing::Length(0),
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        // Not what the Runtime API sends, but HTTP/1.1 allows it: the body
        // runs to the end of the stream, and the connection is not reused.
        (false, None) => {
            close = true;
            Framing::ToClose
        }
    };
    Ok(Some((len, (status, headers, framing, close))))
}

#[cfg(test)]
#[path = "next_tests.rs"]
mod tests;
