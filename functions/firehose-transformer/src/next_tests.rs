//! [`Next`] against a scripted Runtime API on loopback, and held to what
//! `lambda_runtime`'s own client (hyper) reads from the same bytes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::BodyExt as _;
use proptest::prelude::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// A Runtime API that answers the n-th request on any connection with the
/// n-th script, written in the given pieces; `close` ends the connection
/// after that answer. Returns the address and the count of connections.
struct Script {
    pieces: Vec<Vec<u8>>,
    close: bool,
}

fn one_piece(wire: Vec<u8>) -> Script {
    Script {
        pieces: vec![wire],
        close: false,
    }
}

async fn serve(
    scripts: Vec<Script>,
) -> (
    String,
    Arc<AtomicUsize>,
    Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (count, seen) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        let mut scripts = scripts.into_iter();
        'accept: while let Ok((mut conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            loop {
                let Some(request) = read_request(&mut conn).await else {
                    continue 'accept;
                };
                seen.lock().expect("lock").push(request);
                let Some(script) = scripts.next() else {
                    return;
                };
                for piece in &script.pieces {
                    if conn.write_all(piece).await.is_err() {
                        continue 'accept;
                    }
                    let _ = conn.flush().await;
                    // Lets the pieces arrive as separate reads.
                    tokio::task::yield_now().await;
                }
                if script.close {
                    continue 'accept;
                }
            }
        }
    });
    (address, connections, requests)
}

/// A request's head (the `GET`s have no body).
async fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(head)
}

const HEADERS: &str = "lambda-runtime-aws-request-id: req-1\r\n\
lambda-runtime-deadline-ms: 1700000000123\r\n\
lambda-runtime-invoked-function-arn: arn:aws:lambda:eu-west-1:123456789012:function:f\r\n\
lambda-runtime-trace-id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\r\n\
content-type: application/json\r\n";

fn with_length(body: &[u8]) -> Vec<u8> {
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\n{HEADERS}content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    wire.extend_from_slice(body);
    wire
}

fn chunked(body: &[u8], sizes: &[usize], extension: bool, trailer: bool) -> Vec<u8> {
    let mut wire =
        format!("HTTP/1.1 200 OK\r\n{HEADERS}transfer-encoding: chunked\r\n\r\n").into_bytes();
    let mut rest = body;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let n = sizes.next().copied().unwrap_or(1).clamp(1, rest.len());
        let (chunk, after) = rest.split_at(n);
        let ext = if extension { ";name=value" } else { "" };
        wire.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
        rest = after;
    }
    wire.extend_from_slice(b"0\r\n");
    if trailer {
        wire.extend_from_slice(b"x-trailer: yes\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    wire
}

fn split(wire: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([wire.len()]) {
        if p > start {
            pieces.push(wire[start..p].to_vec());
            start = p;
        }
    }
    pieces
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// What lambda_runtime's client reads from the same answer.
async fn read_with_hyper(address: &str) -> (HeaderMap, Vec<u8>) {
    let client = lambda_runtime_api_client::Client::builder()
        .with_endpoint(format!("http://{address}").parse().expect("uri"))
        .build()
        .expect("client");
    let request = lambda_runtime_api_client::build_request()
        .uri(NEXT_PATH)
        .body(lambda_runtime_api_client::body::Body::empty())
        .expect("request");
    let response = client.call(request).await.expect("hyper's answer");
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("hyper's body")
        .to_bytes()
        .to_vec();
    (parts.headers, body)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn reads_what_lambda_runtimes_client_reads_from_the_same_bytes(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(any::<u8>(), 0..70_000),
        ],
        is_chunked in any::<bool>(),
        sizes in proptest::collection::vec(1usize..20_000, 1..4),
        extension in any::<bool>(),
        trailer in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let wire = if is_chunked {
            chunked(&body, &sizes, extension, trailer)
        } else {
            with_length(&body)
        };
        let pieces = split(&wire, &cuts);
        let rt = runtime();
        let (ours, theirs) = rt.block_on(async {
            let (address, _, _) = serve(vec![Script { pieces: pieces.clone(), close: false }]).await;
            let ours = Next::new(&address).next().await.expect("our answer");
            let (address, _, _) = serve(vec![Script { pieces, close: false }]).await;
            (ours, read_with_hyper(&address).await)
        });
        prop_assert_eq!(&ours.body, &theirs.1);
        prop_assert_eq!(&ours.body, &body);
        // hyper leaves framing headers as they came; so do we.
        prop_assert_eq!(&ours.headers, &theirs.0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the other end writes before closing (a damaged head, a
    /// chunk size past the end, a body cut short, garbage), `next` answers
    /// with an invocation or an error: no panic, and no waiting once the
    /// connection is closed.
    #[test]
    fn any_answer_is_read_or_refused_without_panicking(
        head in prop_oneof![
            Just(format!("HTTP/1.1 200 OK\r\n{HEADERS}")),
            Just("HTTP/1.1 200 OK\r\n".to_string()),
            "[ -~\r\n]{0,200}",
        ],
        framing in prop_oneof![
            Just("transfer-encoding: chunked\r\n\r\n".to_string()),
            "content-length: [0-9]{1,6}\r\n\r\n",
            "[ -~\r\n]{0,40}",
        ],
        body in proptest::collection::vec(any::<u8>(), 0..2_000),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let mut wire = format!("{head}{framing}").into_bytes();
        wire.extend_from_slice(&body);
        let pieces = split(&wire, &cuts);
        let answered = runtime().block_on(async {
            let (address, _, _) = serve(vec![Script { pieces, close: true }]).await;
            tokio::time::timeout(Duration::from_secs(10), Next::new(&address).next()).await
        });
        prop_assert!(answered.is_ok(), "still waiting on a closed connection");
    }
}

/// A request head's line and its headers (names lowercased), in order of
/// name.
fn request_parts(head: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8(head.to_vec()).expect("text");
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default().to_owned();
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    headers.sort();
    (first, headers)
}

#[test]
fn sends_the_request_lambda_runtime_sends() {
    runtime().block_on(async {
        let (address, _, ours) = serve(vec![one_piece(with_length(b"{}"))]).await;
        Next::new(&address).next().await.expect("an invocation");
        let (hyper_address, _, theirs) = serve(vec![one_piece(with_length(b"{}"))]).await;
        read_with_hyper(&hyper_address).await;
        let ours = request_parts(&ours.lock().expect("lock")[0]);
        let theirs = request_parts(&theirs.lock().expect("lock")[0]);
        assert_eq!(ours.0, format!("GET {NEXT_PATH} HTTP/1.1"));
        assert_eq!(ours.0, theirs.0);
        // The same headers, but for the port in `host`.
        let without_host = |h: &[(String, String)]| -> Vec<(String, String)> {
            h.iter().filter(|(n, _)| n != "host").cloned().collect()
        };
        assert_eq!(without_host(&ours.1), without_host(&theirs.1));
        assert!(
            ours.1.contains(&("host".to_owned(), address.clone())),
            "{ours:?}"
        );
        assert!(
            theirs
                .1
                .contains(&("host".to_owned(), hyper_address.clone())),
            "{theirs:?}"
        );
        assert!(
            ours.1
                .iter()
                .any(|(n, v)| n == "user-agent" && v.starts_with("aws-lambda-rust/")),
            "{ours:?}"
        );
    });
}

#[test]
fn the_context_is_the_one_lambda_runtime_builds_from_the_headers() {
    runtime().block_on(async {
        let (address, _, _) = serve(vec![one_piece(with_length(b"{}"))]).await;
        let invocation = Next::new(&address).next().await.expect("an invocation");
        let config = Arc::new(lambda_runtime::Config {
            function_name: "f".into(),
            ..lambda_runtime::Config::default()
        });
        let ours = invocation.context(config.clone()).expect("a context");
        let theirs = Context::new("req-1", config, &invocation.headers).expect("lambda_runtime's");
        assert_eq!(ours, theirs);
        assert_eq!(ours.deadline, 1_700_000_000_123);
        assert_eq!(
            ours.xray_trace_id.as_deref(),
            Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
        );
    });
}

#[test]
fn one_connection_serves_invocation_after_invocation() {
    runtime().block_on(async {
        let (address, connections, _) = serve(vec![
            one_piece(with_length(b"first")),
            one_piece(chunked(b"second", &[2], false, false)),
            one_piece(with_length(b"third")),
        ])
        .await;
        let mut next = Next::new(&address);
        for want in [&b"first"[..], b"second", b"third"] {
            assert_eq!(next.next().await.expect("an invocation").body, want);
        }
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_connection_the_runtime_api_closed_is_replaced() {
    runtime().block_on(async {
        // Closed after the first answer without saying so: the second
        // request meets a closed connection and is sent again on a new one.
        let (address, connections, _) = serve(vec![
            Script {
                pieces: vec![with_length(b"first")],
                close: true,
            },
            one_piece(with_length(b"second")),
        ])
        .await;
        let mut next = Next::new(&address);
        assert_eq!(next.next().await.expect("first").body, b"first");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(next.next().await.expect("second").body, b"second");
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn connection_close_is_honoured() {
    runtime().block_on(async {
        let mut first =
            format!("HTTP/1.1 200 OK\r\n{HEADERS}connection: close\r\ncontent-length: 1\r\n\r\n")
                .into_bytes();
        first.push(b'a');
        // The server keeps the connection open: only the header says it
        // will close, so a client that ignored it would reuse it and wait.
        let (address, connections, _) = serve(vec![
            Script {
                pieces: vec![first],
                close: false,
            },
            one_piece(with_length(b"b")),
        ])
        .await;
        let mut next = Next::new(&address);
        assert_eq!(next.next().await.expect("first").body, b"a");
        assert_eq!(next.next().await.expect("second").body, b"b");
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn a_body_without_framing_runs_to_the_end_of_the_stream() {
    runtime().block_on(async {
        let mut wire = format!("HTTP/1.1 200 OK\r\n{HEADERS}\r\n").into_bytes();
        wire.extend_from_slice(b"to the end");
        let (address, _, _) = serve(vec![Script {
            pieces: vec![wire],
            close: true,
        }])
        .await;
        assert_eq!(
            Next::new(&address)
                .next()
                .await
                .expect("an invocation")
                .body,
            b"to the end"
        );
    });
}

/// The error `next` gives for an answer written as `wire`.
fn error_for(wire: Vec<u8>) -> NextError {
    runtime().block_on(async {
        let (address, _, _) = serve(vec![Script {
            pieces: vec![wire],
            close: true,
        }])
        .await;
        Next::new(&address).next().await.expect_err("an error")
    })
}

#[test]
fn what_is_not_an_invocation_is_an_error_never_a_panic() {
    assert!(matches!(
        error_for(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 2\r\n\r\n{}".to_vec()),
        NextError::Status(500)
    ));
    assert!(matches!(
        error_for(b"garbage\r\n\r\n".to_vec()),
        NextError::Malformed(_)
    ));
    let mut long = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
    long.resize(MAX_HEAD + 10, b'a');
    assert!(matches!(
        error_for(long),
        NextError::Malformed("head too long")
    ));
    let mut long_line =
        format!("HTTP/1.1 200 OK\r\n{HEADERS}transfer-encoding: chunked\r\n\r\n1").into_bytes();
    long_line.resize(long_line.len() + MAX_LINE + 10, b'0');
    assert!(matches!(
        error_for(long_line),
        NextError::Malformed("line too long")
    ));
    let bad_size = format!("HTTP/1.1 200 OK\r\n{HEADERS}transfer-encoding: chunked\r\n\r\nzz\r\n")
        .into_bytes();
    assert!(matches!(
        error_for(bad_size),
        NextError::Malformed("chunk size")
    ));
    let gzip = format!("HTTP/1.1 200 OK\r\n{HEADERS}transfer-encoding: gzip\r\n\r\n").into_bytes();
    assert!(matches!(error_for(gzip), NextError::Malformed(_)));
    let two =
        format!("HTTP/1.1 200 OK\r\n{HEADERS}content-length: 1\r\ncontent-length: 2\r\n\r\nab")
            .into_bytes();
    assert!(matches!(
        error_for(two),
        NextError::Malformed("two content-lengths")
    ));
    let plus = format!("HTTP/1.1 200 OK\r\n{HEADERS}content-length: +2\r\n\r\nab").into_bytes();
    assert!(matches!(
        error_for(plus),
        NextError::Malformed("content-length")
    ));
    let mut cut = with_length(b"0123456789");
    cut.truncate(cut.len() - 4);
    assert!(matches!(error_for(cut), NextError::Io(_)));
    // Nothing at all, on a first connection: not retried, an error.
    let (error, connections) = runtime().block_on(async {
        let (address, connections, _) = serve(vec![Script {
            pieces: Vec::new(),
            close: true,
        }])
        .await;
        let error = Next::new(&address).next().await.expect_err("an error");
        (error, connections.load(Ordering::SeqCst))
    });
    assert!(matches!(error, NextError::Io(_)));
    assert_eq!(connections, 1, "a first connection is not tried again");
}

/// An invocation with just these headers.
fn with_headers(headers: &[(&'static str, &'static str)]) -> Invocation {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_static(value));
    }
    Invocation {
        headers: map,
        body: Vec::new(),
    }
}

#[test]
fn an_invocation_without_request_id_or_deadline_has_no_context() {
    let config = Arc::new(lambda_runtime::Config::default());
    let no_id = with_headers(&[("lambda-runtime-deadline-ms", "1")]);
    assert!(matches!(
        no_id.context(config.clone()),
        Err(NextError::Malformed("no lambda-runtime-aws-request-id"))
    ));
    let no_deadline = with_headers(&[("lambda-runtime-aws-request-id", "r")]);
    assert!(matches!(
        no_deadline.context(config.clone()),
        Err(NextError::Malformed("no lambda-runtime-deadline-ms"))
    ));
    let bad_deadline = with_headers(&[
        ("lambda-runtime-aws-request-id", "r"),
        ("lambda-runtime-deadline-ms", "soon"),
    ]);
    assert!(matches!(
        bad_deadline.context(config.clone()),
        Err(NextError::Context)
    ));
    let both = with_headers(&[
        ("lambda-runtime-aws-request-id", "r"),
        ("lambda-runtime-deadline-ms", "1"),
    ]);
    assert_eq!(both.context(config).map(|c| c.deadline).ok(), Some(1));
}

#[cfg(debug_assertions)]
#[test]
fn a_debug_build_skips_no_content_as_lambda_runtime_does() {
    runtime().block_on(async {
        // A 204 has no body, whatever its headers say.
        let no_content = format!("HTTP/1.1 204 No Content\r\n{HEADERS}content-length: 5\r\n\r\n");
        let (address, _, requests) = serve(vec![
            one_piece(no_content.into_bytes()),
            one_piece(with_length(b"event")),
        ])
        .await;
        assert_eq!(
            Next::new(&address).next().await.expect("the event").body,
            b"event"
        );
        assert_eq!(requests.lock().expect("lock").len(), 2);
    });
}

#[test]
fn an_invocation_prints_without_its_body() {
    let invocation = with_headers(&[("lambda-runtime-aws-request-id", "r")]);
    let invocation = Invocation {
        body: b"secret payload".to_vec(),
        ..invocation
    };
    let printed = format!("{invocation:?}");
    assert!(
        !printed.contains("secret") && printed.contains("body_len: 14"),
        "{printed}"
    );
}

#[test]
fn chunk_sizes_are_read_as_http_writes_them() {
    assert_eq!(chunk_size(b"0"), Some(0));
    assert_eq!(chunk_size(b"1A"), Some(26));
    assert_eq!(chunk_size(b"2dc6c8;name=value"), Some(0x2d_c6c8));
    assert_eq!(chunk_size(b"ff "), Some(255));
    assert_eq!(chunk_size(b""), None);
    assert_eq!(chunk_size(b"-1"), None);
    assert_eq!(chunk_size(b"fffffffffffffffff"), None);
    assert_eq!(chunk_size(b" 5"), None);
    assert_eq!(chunk_size(b"5 ;ext"), Some(5));
}
