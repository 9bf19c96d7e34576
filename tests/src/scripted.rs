//! An AWS endpoint on loopback that answers from a script: the given
//! answers in order (a throttling error, say), then one answer for every
//! request after them. It keeps each request's headers and body so a test
//! can check what reached it (the operation, the signature's credential).
//!
//! Speaks what the SDK's HTTP/1.1 client sends for the awsJson 1.1
//! protocols of Firehose, Kinesis and Secrets Manager: keep-alive requests
//! with a `Content-Length` body.

use std::collections::VecDeque;
use std::io::{BufReader, Write};

use crate::http::{read_request, HttpRequest};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    error_type: Option<String>,
    body: String,
}

impl Answer {
    /// HTTP 200 with an awsJson 1.1 body.
    pub fn ok(body: &str) -> Answer {
        Answer {
            status: 200,
            error_type: None,
            body: body.to_string(),
        }
    }

    /// HTTP 400 with the awsJson 1.1 error `code` (`ThrottlingException`,
    /// `ProvisionedThroughputExceededException`, ...).
    pub fn error(code: &str) -> Answer {
        Answer {
            status: 400,
            error_type: Some(code.to_string()),
            body: format!(r#"{{"__type":"{code}","message":"scripted {code}"}}"#),
        }
    }
}

/// A request as the endpoint received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Script {
    next: VecDeque<Answer>,
    then: Answer,
    seen: Vec<Request>,
}

/// The scripted endpoint; its threads end with the test process.
pub struct Scripted {
    pub endpoint: String,
    script: Arc<Mutex<Script>>,
}

impl Scripted {
    /// Starts an endpoint answering `first` in order, then `then` forever.
    pub fn start(first: Vec<Answer>, then: Answer) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(Script {
            next: first.into(),
            then,
            seen: Vec::new(),
        }));
        let shared = script.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let script = shared.clone();
                std::thread::spawn(move || serve(conn, &script));
            }
        });
        Scripted { endpoint, script }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.script.lock().unwrap().seen.clone()
    }
}

fn serve(conn: TcpStream, script: &Mutex<Script>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    while let Some(HttpRequest { headers, body, .. }) = read_request(&mut reader) {
        let answer = {
            let mut s = script.lock().unwrap();
            s.seen.push(Request { headers, body });
            let then = s.then.clone();
            s.next.pop_front().unwrap_or(then)
        };
        let error_type = answer
            .error_type
            .map(|t| format!("x-amzn-ErrorType: {t}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/x-amz-json-1.1\r\n{error_type}\
             x-amzn-RequestId: 0\r\nContent-Length: {}\r\n\r\n",
            answer.status,
            answer.body.len()
        );
        if conn.write_all(head.as_bytes()).is_err()
            || conn.write_all(answer.body.as_bytes()).is_err()
        {
            return;
        }
    }
}
