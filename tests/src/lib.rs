//! Shared helpers for the end-to-end tests in `tests/`: a Lambda Runtime API
//! emulator on loopback, the real `bootstrap` binary run against it, a moto
//! server, a fake AWS endpoint that always throttles, and one that answers
//! from a script (`scripted`).
//!
//! The Runtime API is the HTTP interface a custom runtime polls
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>); the
//! emulator speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies,
//! and events above 4 KB chunked in 32 KB chunks, as Lambda's own Runtime
//! API writes large ones)
//! for `lambda_runtime` and the transformer's own poller, with `std::net`
//! only. Everything binds 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod http;
pub mod overflow;
pub mod recorder;
pub mod scripted;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long to wait for anything before calling a test stuck.
const STUCK: Duration = Duration::from_secs(120);

/// What the function answered to one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Response(Vec<u8>),
    Error(Vec<u8>),
}

impl Reply {
    /// The response as JSON; panics, showing the error, when the
    /// invocation failed.
    pub fn json(self) -> serde_json::Value {
        match self {
            Reply::Response(body) => serde_json::from_slice(&body).unwrap(),
            Reply::Error(body) => {
                panic!("the invocation failed: {}", String::from_utf8_lossy(&body))
            }
        }
    }
}

#[derive(Default)]
struct State {
    /// Request id, event, deadline, and header lines added to the usual ones.
    queue: VecDeque<(String, Vec<u8>, u64, String)>,
    replies: Vec<(String, Reply)>,
    init_error: Option<Vec<u8>>,
    next_id: u64,
    first_poll: Option<Instant>,
}

/// The Lambda Runtime API emulator.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        RuntimeApi { addr, state }
    }

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` wants it.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `event` with a deadline `timeout` from now and waits for the
    /// function's answer.
    pub fn invoke(&self, event: &[u8], timeout: Duration) -> Reply {
        self.invoke_with_headers(event, timeout, "")
    }

    /// [`RuntimeApi::invoke`], the event handed out with `headers` (lines
    /// ending in CRLF) after the usual ones.
    pub fn invoke_with_headers(&self, event: &[u8], timeout: Duration, headers: &str) -> Reply {
        let (lock, cvar) = &*self.state;
        let mut st = lock.lock().unwrap();
        st.next_id += 1;
        let id = format!("req-{}", st.next_id);
        let deadline = now_ms() + timeout.as_millis() as u64;
        st.queue
            .push_back((id.clone(), event.to_vec(), deadline, headers.to_string()));
        cvar.notify_all();
        let (mut st, _) = cvar
            .wait_timeout_while(st, STUCK, |st| {
                !st.replies.iter().any(|(r, _)| *r == id) && st.init_error.is_none()
            })
            .unwrap();
        if let Some(e) = &st.init_error {
            panic!(
                "init error instead of a reply: {}",
                String::from_utf8_lossy(e)
            );
        }
        let pos = st
            .replies
            .iter()
            .position(|(r, _)| *r == id)
            .expect("the function did not answer in time");
        st.replies.remove(pos).1
    }

    /// When the function first asked for an invocation (its start-up is
    /// over), waiting up to `wait` for it.
    pub fn first_poll(&self, wait: Duration) -> Option<Instant> {
        let (lock, cvar) = &*self.state;
        let st = lock.lock().unwrap();
        let (st, _) = cvar
            .wait_timeout_while(st, wait, |st| st.first_poll.is_none())
            .unwrap();
        st.first_poll
    }

    /// The body posted to `/runtime/init/error`, if any.
    pub fn init_error(&self, wait: Duration) -> Option<Vec<u8>> {
        let (lock, cvar) = &*self.state;
        let st = lock.lock().unwrap();
        let (st, _) = cvar
            .wait_timeout_while(st, wait, |st| st.init_error.is_none())
            .unwrap();
        st.init_error.clone()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Starts `program` with `env` against a fresh Runtime API and checks that
/// a refused setting stops it the way every function stops: it exits with a
/// failure, and both the init error it posts and its log name `variable`,
/// the init error with `allowed` (what the variable allows).
pub fn assert_setting_stops(program: PathBuf, env: &[(&str, &str)], variable: &str, allowed: &str) {
    let api = RuntimeApi::start();
    let mut process = Bootstrap::spawn_program(&api, &[program.into()], env);
    let status = process.wait_exit().expect("it stops");
    assert!(!status.success());
    let init = api
        .init_error(Duration::from_secs(30))
        .expect("an init error posted");
    let text = String::from_utf8_lossy(&init);
    assert!(text.contains(variable) && text.contains(allowed), "{text}");
    let logs = process.logs_containing("invalid configuration");
    assert!(logs.contains(variable), "{logs}");
}

fn serve(conn: TcpStream, state: &(Mutex<State>, Condvar)) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    while let Some(http::HttpRequest {
        method,
        path,
        headers,
        body,
    }) = http::read_request(&mut reader)
    {
        let (lock, cvar) = state;
        let mut taken = None;
        let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let mut st = lock.lock().unwrap();
            if st.first_poll.is_none() {
                st.first_poll = Some(Instant::now());
                cvar.notify_all();
            }
            let mut st = cvar.wait_while(st, |st| st.queue.is_empty()).unwrap();
            let (id, event, deadline, extra) = st.queue.pop_front().unwrap();
            taken = Some((id.clone(), event.clone(), deadline, extra.clone()));
            let headers = format!(
                "Lambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:cognito-activity\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n{extra}"
            );
            (200, headers, event)
        } else if let (true, ["", "2018-06-01", "runtime", "invocation", id, kind]) = (
            method == "POST",
            path.split('/').collect::<Vec<_>>().as_slice(),
        ) {
            // Only what Lambda's Runtime API takes is an answer, and an error
            // only with the error-type header lambda_runtime sends.
            let error_type = headers
                .iter()
                .any(|(name, _)| name == "lambda-runtime-function-error-type");
            let reply = match *kind {
                "response" => Some(Reply::Response(body)),
                "error" if error_type => Some(Reply::Error(body)),
                _ => None,
            };
            match reply {
                Some(reply) => {
                    lock.lock().unwrap().replies.push((id.to_string(), reply));
                    cvar.notify_all();
                    (202, String::new(), br#"{"status":"OK"}"#.to_vec())
                }
                None => (400, String::new(), Vec::new()),
            }
        } else if method == "POST" && path.ends_with("/runtime/init/error") {
            lock.lock().unwrap().init_error = Some(body);
            cvar.notify_all();
            (202, String::new(), br#"{"status":"OK"}"#.to_vec())
        } else {
            (404, String::new(), Vec::new())
        };
        let (status, headers, body) = reply;
        // Lambda's Runtime API (Go's net/http, no Content-Length set) sends
        // an event larger than its write buffer chunked: here in chunks of
        // 32 KB (as `io.Copy` writes), so a large event is several chunks.
        let chunked = taken.is_some() && body.len() > 4096;
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_string()
        } else {
            format!("Content-Length: {}", body.len())
        };
        let mut wire = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{headers}{framing}\r\n\r\n"
        )
        .into_bytes();
        if chunked {
            for chunk in body.chunks(32 * 1024) {
                wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        } else {
            wire.extend_from_slice(&body);
        }
        if conn.write_all(&wire).is_err() {
            // A poll from a process that is gone: give its event back.
            if let Some(t) = taken {
                lock.lock().unwrap().queue.push_front(t);
                cvar.notify_all();
            }
            return;
        }
    }
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The Firehose transformer's binary (`firehose-transformer`, which SAM
/// packages as `bootstrap`), built once per test process.
///
/// Cargo builds binaries only for the package under test, so this runs
/// `cargo build -p firehose-transformer --bin firehose-transformer` (a no-op when the
/// workspace build already made it) and takes the path from cargo's JSON
/// messages, which works for any target directory.
pub fn bootstrap_binary() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| cargo_binary("firehose-transformer", "firehose-transformer"))
        .clone()
}

/// Builds binary `bin` of workspace package `package` for this machine
/// (a no-op when it is fresh) and returns its path.
pub fn cargo_binary(package: &str, bin: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "build",
            "-p",
            package,
            "--bin",
            bin,
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build of {package} {bin} failed"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["executable"].as_str().map(PathBuf::from))
        .find(|p| p.file_name().is_some_and(|n| n == bin))
        .unwrap_or_else(|| panic!("cargo named no {bin} executable"))
}

/// A running `bootstrap` process, killed on drop, its output collected.
pub struct Bootstrap {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Bootstrap {
    /// Starts the function against `api` with the usual Lambda variables,
    /// JSON logs, fake credentials, plus `env`.
    pub fn spawn(api: &RuntimeApi, env: &[(&str, &str)]) -> Bootstrap {
        Bootstrap::spawn_program(api, &[bootstrap_binary().into()], env)
    }

    /// As [`Bootstrap::spawn`], for any program: `argv[0]` with the rest
    /// of `argv` as its arguments (an emulator and the binary it runs, say).
    pub fn spawn_program(api: &RuntimeApi, argv: &[OsString], env: &[(&str, &str)]) -> Bootstrap {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "cognito-activity")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/cognito-activity")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2024/11/23/[$LATEST]0")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("METRICS", "false");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bootstrap");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Bootstrap {
            child,
            stdout,
            stderr,
        }
    }

    /// Everything the process wrote so far, stdout then stderr.
    pub fn logs(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned();
        s.push_str(&String::from_utf8_lossy(&self.stderr.lock().unwrap()));
        s
    }

    /// Waits until the logs contain `needle` (the reader threads drain the
    /// pipes asynchronously, so a line written just before a response may
    /// arrive just after it); returns the logs either way.
    pub fn logs_containing(&self, needle: &str) -> String {
        self.logs_when(|logs| logs.contains(needle))
    }

    /// Waits until `done(logs)` holds (see [`logs_containing`](Self::logs_containing));
    /// returns the logs either way.
    pub fn logs_when(&self, done: impl Fn(&str) -> bool) -> String {
        for _ in 0..(STUCK.as_millis() / 50) {
            let logs = self.logs();
            if done(&logs) {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.logs()
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self) -> Option<std::process::ExitStatus> {
        for _ in 0..(STUCK.as_millis() / 50) {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// The process's peak resident memory so far, in KiB (`VmHWM`; Linux).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Bootstrap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf: Arc<Mutex<Vec<u8>>> = Arc::default();
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Python packages the moto-backed tests need.
pub const MOTO_PACKAGES: [&str; 2] = ["moto[server]", "boto3"];

/// Installs `packages` with pip when `python -c "import {modules}"` fails,
/// once per process, so `cargo test` needs no manual step; panics when
/// they cannot be installed, never skips.
pub fn ensure_python_packages(python: &str, modules: &str, packages: &[&str]) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let present = || {
        Command::new(python)
            .args(["-c", &format!("import {modules}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if present() {
        return;
    }
    let installed = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed && present(),
        "{python} cannot import {modules}: `{python} -m pip install {}` failed",
        packages.join(" ")
    );
}

/// A moto server (`python3 -m moto.server`) on a free loopback port,
/// killed on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto, installing it first (pip, pinned as in `.ci/run`) when
    /// it is missing, so `cargo test` needs no manual step. Panics when it
    /// cannot be installed or started: a test that needs AWS never passes
    /// without it.
    pub fn start() -> Moto {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        ensure_python_packages(&python, "moto.server, boto3, flask", &MOTO_PACKAGES);
        let port = free_port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..600 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("moto did not start listening on port {port}");
    }

    /// Runs a boto3 snippet against this server; `ENDPOINT` and `ARGS`
    /// (the JSON of `args`) are defined for it. Returns its stdout.
    pub fn boto3(&self, script: &str, args: &serde_json::Value) -> String {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let prelude = "import json, sys, boto3\nENDPOINT = sys.argv[1]\nARGS = json.loads(sys.argv[2])\n\
            def client(name):\n    return boto3.client(name, endpoint_url=ENDPOINT, region_name='us-east-1', \
            aws_access_key_id='testing', aws_secret_access_key='testing')\n";
        let out = Command::new(python)
            .args([
                "-c",
                &format!("{prelude}{script}"),
                &self.endpoint,
                &args.to_string(),
            ])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "boto3 script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An AWS endpoint that answers every request with a throttling error
/// (HTTP 400 `ServiceUnavailableException`, awsJson 1.1), counting them.
pub struct Throttler {
    pub endpoint: String,
    pub requests: Arc<AtomicUsize>,
}

impl Throttler {
    pub fn start() -> Throttler {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<AtomicUsize> = Arc::default();
        let count = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let count = count.clone();
                std::thread::spawn(move || throttle(conn, &count));
            }
        });
        Throttler { endpoint, requests }
    }
}

fn throttle(conn: TcpStream, count: &AtomicUsize) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    while http::read_request(&mut reader).is_some() {
        count.fetch_add(1, Ordering::SeqCst);
        let body = br#"{"__type":"ServiceUnavailableException","message":"Slow down."}"#;
        let head = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n\
             x-amzn-ErrorType: ServiceUnavailableException\r\nx-amzn-RequestId: 0\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(body).is_err() {
            return;
        }
    }
}
