//! The one HTTP/1.1 request reader behind every local endpoint here (the
//! Runtime API emulator, the throttling endpoint, the scripted one and the
//! recorder): a request line, headers, a `Content-Length` body. Just what
//! the SDK's and lambda_runtime's clients send.

use std::io::BufRead;

/// One request as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    /// Names in lower case, values trimmed, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The next request on a connection; `None` once the peer has gone or a
/// request is cut short. Empty lines before the request line are skipped,
/// as RFC 9112 (section 2.2) asks of a server.
pub fn read_request(reader: &mut impl BufRead) -> Option<HttpRequest> {
    let mut request_line = String::new();
    while request_line.trim_end().is_empty() {
        request_line.clear();
        if reader.read_line(&mut request_line).ok()? == 0 {
            return None;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                len = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(HttpRequest {
        method,
        path,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_one_after_another_with_their_bodies() {
        let wire = b"\r\nPOST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Amz-Target: T\r\n\r\nhelloGET /next HTTP/1.1\r\n\r\n";
        let mut reader = &wire[..];
        let first = read_request(&mut reader).expect("a request");
        assert_eq!(first.method, "POST");
        assert_eq!(first.path, "/a?b=c");
        assert_eq!(first.body, b"hello");
        assert!(first
            .headers
            .contains(&("x-amz-target".to_string(), "T".to_string())));
        let second = read_request(&mut reader).expect("a second request");
        assert_eq!((second.method.as_str(), second.body.len()), ("GET", 0));
        assert_eq!(read_request(&mut reader), None);
        // A body cut short is no request.
        let mut cut = &b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"[..];
        assert_eq!(read_request(&mut cut), None);
    }
}
