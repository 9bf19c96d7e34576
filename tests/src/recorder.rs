//! A recording proxy on loopback: every request is kept (method, path,
//! headers, body) and passed on to a real endpoint (moto), whose answer goes
//! back unchanged but for `Connection: close`. Tests point one service at it
//! (`AWS_ENDPOINT_URL_STS`) to check what a function asked for, where moto
//! grants whatever it is asked (any role, any external id).

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::http::{read_request, HttpRequest};

/// A request as the proxy received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as `application/x-www-form-urlencoded` pairs (the AWS query
    /// protocol's requests: STS, IAM), decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        String::from_utf8_lossy(&self.body)
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|&h| (h as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The proxy; its threads end with the test process.
pub struct Recorder {
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    /// Starts a proxy in front of `target` (`http://127.0.0.1:port`).
    pub fn start(target: &str) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let target = target.trim_start_matches("http://").to_string();
        let seen: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let shared = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let (seen, target) = (shared.clone(), target.clone());
                std::thread::spawn(move || pass_on(conn, &target, &seen));
            }
        });
        Recorder { endpoint, seen }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

/// One request from `conn`, recorded, sent to `target`, answered.
fn pass_on(conn: TcpStream, target: &str, seen: &Mutex<Vec<Recorded>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    let Some(HttpRequest {
        method,
        path,
        headers,
        body,
    }) = read_request(&mut reader)
    else {
        return;
    };
    seen.lock().unwrap().push(Recorded {
        method: method.clone(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let Ok(mut upstream) = TcpStream::connect(target) else {
        return;
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers.iter().filter(|(k, _)| k != "connection") {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    if upstream.write_all(head.as_bytes()).is_err() || upstream.write_all(&body).is_err() {
        return;
    }
    let mut answer = Vec::new();
    if upstream.read_to_end(&mut answer).is_err() {
        return;
    }
    // The answer's head with `Connection: close` (this connection ends here).
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let (answer_head, rest) = answer.split_at(split);
    let mut out: Vec<u8> = String::from_utf8_lossy(answer_head)
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|l| format!("{l}\r\n").into_bytes())
        .collect();
    out.extend_from_slice(b"Connection: close");
    out.extend_from_slice(rest);
    let _ = conn.write_all(&out);
}
