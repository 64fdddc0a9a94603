//! An in-process fake Kubernetes API server for the host binary's integration tests.
//!
//! The `catalyst-guard` binary talks to a cluster through kube-rs. Tests need to see exactly
//! which requests it sends (paths, query strings, `Accept` and `Content-Type` headers, patch
//! bodies) and to make the cluster misbehave on cue, without a real cluster or any async
//! runtime in the test itself. [`FakeApiServer`] is a small std-only HTTP/1.1 server that
//! answers the handful of routes the binary uses with the real Kubernetes REST shapes:
//! Flux `HelmRelease` list/get/patch (including the `status` subresource and
//! `resourceVersion` preconditions), `Secret` lists (full or `PartialObjectMetadataList`),
//! and `Event` creation (plus merge patches to an existing event, which kube-runtime's
//! recorder sends when an event repeats). Everything else is a `404` `Status`, and every
//! request is recorded.
//!
//! Include it from a test file with
//!
//! ```ignore
//! #[allow(dead_code)] // each test binary uses a different subset of the helpers
//! #[path = "support/apiserver.rs"]
//! mod apiserver;
//! ```
//!
//! The `allow` belongs on the `mod` line: an included file cannot carry a crate-level
//! `#![allow]`, and each test binary uses a different subset of this API.
//!
//! Deliberate simplifications compared with a real API server, so tests are predictable:
//! - every successful patch bumps `metadata.resourceVersion`, even when nothing changed;
//! - `+` in a query string stays a literal `+` (it is not decoded as a space);
//! - label selectors support `k=v`, `k==v`, `k!=v`, `k` and `!k` terms only;
//! - watches are refused with `400` rather than streamed.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Map, Value, json};

/// The API group Flux's `HelmRelease` lives in.
const HELM_GROUP: &str = "helm.toolkit.fluxcd.io";
/// Longest request line or header line we accept; anything longer is treated as garbage.
const MAX_LINE: u64 = 64 * 1024;
/// Most header lines we accept on one request.
const MAX_HEADERS: usize = 128;
/// Largest request body we accept; the binary only ever sends small patches and events.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// The only patch type custom resources such as `HelmRelease` take from this fake.
const MERGE_PATCH: &str = "application/merge-patch+json";
/// Built-in types such as `Event` also take strategic merge patches; for the flat fields an
/// event series patch touches, a JSON merge patch gives the same result.
const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
/// Prefix of our `continue` tokens. It contains `/` and `=` on purpose (as real base64
/// tokens do) so tests prove the client percent-encodes the token it echoes back.
const CONTINUE_PREFIX: &str = "fake/offset=";

/// One request as the server received it, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The HTTP method, e.g. `GET` or `PATCH`.
    pub method: String,
    /// The request path without the query string, exactly as sent (not percent-decoded).
    pub path: String,
    /// The raw query string without the leading `?` (empty if there was none).
    pub query: String,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The request body, decoded as UTF-8 (lossily).
    pub body: String,
}

/// A planned failure: the next `times` requests whose method equals `method`, whose path
/// (without query) ends with `path_suffix` and whose query string or body contains
/// `contains` misbehave as `answer` says (by default: a `Status` carrying `status`).
#[derive(Clone, Debug, Default)]
pub struct Fault {
    /// HTTP method to match, e.g. `"PATCH"` (compared case-insensitively).
    pub method: &'static str,
    /// Matched with `ends_with` against the request path without its query string.
    pub path_suffix: String,
    /// HTTP status code to answer with, e.g. 403, 409 or 500.
    pub status: u16,
    /// How many matching requests fail before the fault is used up.
    pub times: usize,
    /// Only requests whose raw query string or body contains this text match (empty:
    /// every request), e.g. `"suspend\":false"` to fail a resume but not a suspend.
    pub contains: &'static str,
    /// How the server misbehaves.
    pub answer: Answer,
}

/// How a [`Fault`] misbehaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Answer {
    /// A `Status` carrying the fault's `status`; nothing is changed.
    #[default]
    Status,
    /// A `Status` carrying the fault's `status` (e.g. 429) with a `Retry-After: N`
    /// header, as the API server's max-in-flight and priority-and-fairness filters send
    /// (theirs has a plain-text body, which kube-rs turns into the same error code).
    RetryAfter(u64),
    /// Read the request, then hold the connection this long without answering and
    /// close it: the client's timeout fires first. Nothing is changed.
    Hang(Duration),
    /// Handle the request as usual (the fault's `status` is not used), but answer only
    /// after this long: a slow API server the client should still wait for.
    Late(Duration),
    /// Close the connection without answering; nothing is changed.
    Drop,
    /// Handle the request as usual (a write is applied), then close the connection
    /// without answering: the client never learns that its write landed.
    DropAfterApply,
}

/// The fake API server. It listens on `127.0.0.1` on a free port until it is dropped.
pub struct FakeApiServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<HashMap<u64, TcpStream>>>,
    accept_thread: Option<JoinHandle<()>>,
}

impl FakeApiServer {
    /// Starts a server holding the given `HelmRelease` and `Secret` objects (JSON).
    ///
    /// Objects missing `metadata.resourceVersion` get one from the server's counter,
    /// `HelmRelease`s missing `metadata.generation` get `1`, objects missing
    /// `metadata.namespace` are put in `default`, and missing `apiVersion`/`kind` are filled
    /// in (`helm.toolkit.fluxcd.io/v2` `HelmRelease`, `v1` `Secret`).
    ///
    /// # Panics
    ///
    /// If an object has no string `metadata.name`, or the socket cannot be bound; both are
    /// mistakes in the test rather than behaviour under test.
    pub fn start(helmreleases: Vec<Value>, secrets: Vec<Value>) -> FakeApiServer {
        // Start the counter above any numeric resourceVersion the fixtures already carry, so
        // versions handed out later are always newer than the ones written by the test.
        let counter = helmreleases
            .iter()
            .chain(secrets.iter())
            .filter_map(|o| {
                o.pointer("/metadata/resourceVersion")?
                    .as_str()?
                    .parse()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        let mut state = State {
            counter,
            ..State::default()
        };
        for object in helmreleases {
            let object = state.normalise(object, &format!("{HELM_GROUP}/v2"), "HelmRelease");
            state.helmreleases.insert(key_of(&object), object);
        }
        for object in secrets {
            let object = state.normalise(object, "v1", "Secret");
            state.secrets.insert(key_of(&object), object);
        }

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake API server");
        let addr = listener.local_addr().expect("fake API server address");
        let state = Arc::new(Mutex::new(state));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(HashMap::new()));
        let accept_thread = {
            let (state, stop, connections) = (state.clone(), stop.clone(), connections.clone());
            thread::Builder::new()
                .name("fake-apiserver-accept".into())
                .spawn(move || accept_loop(&listener, &state, &stop, &connections))
                .expect("spawn the fake API server")
        };
        FakeApiServer {
            addr,
            state,
            stop,
            connections,
            accept_thread: Some(accept_thread),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes `dir/kubeconfig` pointing at this server (plain HTTP, bearer token
    /// `test-token`, context `fake`, namespace `default`) and returns its path.
    ///
    /// # Panics
    ///
    /// If the file cannot be written.
    pub fn write_kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {url}
users:
- name: fake
  user:
    token: test-token
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
    namespace: default
current-context: fake
preferences: {{}}
",
            url = self.url()
        );
        fs::write(&path, text).expect("write the fake kubeconfig");
        path
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Adds an `apps/v1` `Deployment` (served read-only: `get` only).
    pub fn add_deployment(&self, deployment: Value) {
        let mut state = self.lock();
        let object = state.normalise(deployment, "apps/v1", "Deployment");
        state.deployments.insert(key_of(&object), object);
    }

    /// The stored `HelmRelease` `ns/name`, as it is now.
    pub fn helmrelease(&self, ns: &str, name: &str) -> Option<Value> {
        self.lock()
            .helmreleases
            .get(&(ns.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Every `Event` created so far, in creation order, as stored.
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.clone()
    }

    /// Whether any `Secret` list was answered with full objects (including `data`) rather
    /// than a `PartialObjectMetadataList`.
    pub fn secrets_listed_with_payload(&self) -> bool {
        self.lock().secrets_payload_served
    }

    /// Plans a failure; see [`Fault`]. Faults are checked in the order they were injected,
    /// before any normal handling.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(Injected {
            fault,
            change: None,
            fired: 0,
        });
    }

    /// Answers every request no rule grants with `403 Forbidden`, as the API server
    /// does for the job's ServiceAccount. See [`rbac_from_deploy`].
    pub fn enforce_rbac(&self, rules: Vec<RbacRule>) {
        self.lock().rbac = Some(rules);
    }

    /// Makes the next `times` list requests that carry a `continue` token fail with
    /// `410 Gone` (reason `Expired`), as a real server does once the token's
    /// resourceVersion is compacted: the client must start the list again.
    pub fn expire_continue_tokens(&self, times: usize) {
        self.lock().expire_continues = times;
    }

    /// Like [`FakeApiServer::inject`], but each time the fault fires the server first
    /// applies `merge_patch` to the `HelmRelease` `ns/name` (bumping its
    /// `resourceVersion`), as if another writer had changed it just before: a 409 then
    /// means what it means on a real server, that the object really changed.
    pub fn inject_with_change(&self, fault: Fault, ns: &str, name: &str, merge_patch: Value) {
        self.lock().faults.push(Injected {
            fault,
            change: Some(Change {
                key: (ns.to_owned(), name.to_owned()),
                patch: merge_patch,
            }),
            fired: 0,
        });
    }

    /// How many times each injected fault has fired, in injection order.
    pub fn faults_fired(&self) -> Vec<usize> {
        self.lock().faults.iter().map(|i| i.fired).collect()
    }

    /// Uses up every injected fault and stops expiring continue tokens: from now on
    /// the server behaves.
    pub fn clear_faults(&self) {
        let mut state = self.lock();
        for injected in &mut state.faults {
            injected.fault.times = 0;
        }
        state.expire_continues = 0;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // `accept` blocks; connecting to ourselves wakes it so it can see the flag. Only
        // join if the wake-up connection succeeded, so a drop can never hang a test.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok();
        if let Some(handle) = self.accept_thread.take()
            && woke
        {
            let _ = handle.join();
        }
        // Connection threads block reading idle keep-alive connections the client's pool
        // still holds; shutting the sockets down makes those reads return and the threads
        // end. They are not joined: they hold nothing the test waits for.
        for stream in lock(&self.connections).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Locks a mutex, carrying on after a poisoning panic: the data stays usable for assertions
/// and a server thread must never panic because a test thread did.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A change another writer makes to a `HelmRelease` when a fault fires.
#[derive(Clone, Debug)]
struct Change {
    key: (String, String),
    patch: Value,
}

/// An injected fault, the change it makes when it fires, and how often it fired.
struct Injected {
    fault: Fault,
    change: Option<Change>,
    fired: usize,
}

/// The API server's data and everything tests may ask about afterwards.
#[derive(Default)]
struct State {
    /// Source of `resourceVersion`s; list responses report its current value.
    counter: u64,
    helmreleases: BTreeMap<(String, String), Value>,
    deployments: BTreeMap<(String, String), Value>,
    secrets: BTreeMap<(String, String), Value>,
    events: Vec<Value>,
    requests: Vec<Recorded>,
    faults: Vec<Injected>,
    /// How many more list requests carrying a `continue` token are answered 410.
    expire_continues: usize,
    /// When set, every request must be granted by one of these rules, or it is 403.
    rbac: Option<Vec<RbacRule>>,
    secrets_payload_served: bool,
}

impl State {
    fn next_resource_version(&mut self) -> String {
        self.counter += 1;
        self.counter.to_string()
    }

    /// Fills in the server-managed fields a fixture may have left out.
    fn normalise(&mut self, mut object: Value, api_version: &str, kind: &str) -> Value {
        let Some(fields) = object.as_object_mut() else {
            panic!("fake API server fixture is not a JSON object: {object}");
        };
        fields
            .entry("apiVersion")
            .or_insert_with(|| api_version.into());
        fields.entry("kind").or_insert_with(|| kind.into());
        let metadata = fields
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(metadata) = metadata.as_object_mut() else {
            panic!("fake API server fixture has a non-object metadata: {metadata}");
        };
        assert!(
            metadata.get("name").is_some_and(Value::is_string),
            "fake API server fixture has no metadata.name: {metadata:?}"
        );
        metadata
            .entry("namespace")
            .or_insert_with(|| "default".into());
        if !metadata.contains_key("resourceVersion") {
            self.counter += 1;
            metadata.insert("resourceVersion".into(), self.counter.to_string().into());
        }
        if kind == "HelmRelease" {
            metadata.entry("generation").or_insert_with(|| 1.into());
        }
        object
    }
}

/// `(namespace, name)` of a normalised object; the map key, which also gives list order.
fn key_of(object: &Value) -> (String, String) {
    let field = |name: &str| {
        object
            .pointer(&format!("/metadata/{name}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (field("namespace"), field("name"))
}

fn accept_loop(
    listener: &TcpListener,
    state: &Arc<Mutex<State>>,
    stop: &AtomicBool,
    connections: &Arc<Mutex<HashMap<u64, TcpStream>>>,
) {
    let mut next_id = 0_u64;
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Transient (e.g. out of file descriptors); back off instead of spinning.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        // Small request/response exchanges: do not let Nagle delay them.
        let _ = stream.set_nodelay(true);
        let Ok(registered) = stream.try_clone() else {
            continue;
        };
        next_id += 1;
        let id = next_id;
        lock(connections).insert(id, registered);
        let (thread_state, thread_connections) = (state.clone(), connections.clone());
        let spawned = thread::Builder::new()
            .name(format!("fake-apiserver-conn-{id}"))
            .spawn(move || {
                serve_connection(stream, &thread_state);
                lock(&thread_connections).remove(&id);
            });
        if spawned.is_err() {
            lock(connections).remove(&id);
        }
    }
}

/// A parsed HTTP request.
struct Request {
    method: String,
    /// Path without the query string.
    path: String,
    /// Raw query string without `?`.
    query: String,
    accept: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
    /// The client asked us to close the connection after this exchange.
    close: bool,
}

/// Why reading a request stopped.
enum ReadError {
    /// The socket failed or closed mid-request; nobody is left to answer.
    Io,
    /// The bytes were not a request we understand; answer 400 and close.
    Malformed(String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

/// An HTTP response: a status code, a JSON body and an optional `Retry-After`.
struct Response {
    status: u16,
    body: Value,
    retry_after: Option<u64>,
}

/// What the connection does with a handled request.
enum Delivery {
    /// Write the response.
    Answer(Response),
    /// Hold the connection this long, then close it unanswered.
    Hang(Duration),
    /// Write the response after this long.
    Late(Response, Duration),
    /// Close the connection unanswered.
    Drop,
}

/// Serves requests on one keep-alive connection until the client closes it.
fn serve_connection(stream: TcpStream, state: &Mutex<State>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        match read_request(&mut reader) {
            Ok(None) | Err(ReadError::Io) => return,
            Ok(Some(request)) => {
                // The state lock is released before any hang, so other connections go on.
                let delivery = handle(&mut lock(state), &request);
                let response = match delivery {
                    Delivery::Answer(response) => response,
                    Delivery::Hang(time) => {
                        thread::sleep(time);
                        let _ = writer.shutdown(Shutdown::Both);
                        return;
                    }
                    Delivery::Late(response, time) => {
                        thread::sleep(time);
                        response
                    }
                    Delivery::Drop => {
                        let _ = writer.shutdown(Shutdown::Both);
                        return;
                    }
                };
                if write_response(&mut writer, &response, request.close).is_err() || request.close {
                    return;
                }
            }
            Err(ReadError::Malformed(message)) => {
                let response = status_response(400, &format!("malformed request: {message}"));
                let _ = write_response(&mut writer, &response, true);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Reads one line (without the line ending), refusing lines longer than [`MAX_LINE`].
/// `Ok(None)` means end of stream before any byte.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if read as u64 >= MAX_LINE {
            ReadError::Malformed("line too long".into())
        } else {
            ReadError::Io
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Malformed("header is not UTF-8".into()))
}

/// Reads one request. `Ok(None)` means the client closed the connection between requests,
/// which is how a keep-alive connection normally ends.
fn read_request(reader: &mut impl BufRead) -> Result<Option<Request>, ReadError> {
    let request_line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            // RFC 9112 lets servers skip blank lines before a request line.
            Some(line) if line.is_empty() => {}
            Some(line) => break line,
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed(format!(
            "bad request line {request_line:?}"
        )));
    };
    if method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
        || !matches!(version, "HTTP/1.1" | "HTTP/1.0")
    {
        return Err(ReadError::Malformed(format!(
            "bad request line {request_line:?}"
        )));
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let Some(line) = read_line(reader)? else {
            return Err(ReadError::Io);
        };
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(ReadError::Malformed("too many headers".into()));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Malformed(format!("bad header line {line:?}")));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };

    let chunked = match header("transfer-encoding") {
        None => false,
        Some(te) if te.eq_ignore_ascii_case("chunked") => true,
        Some(te) => {
            return Err(ReadError::Malformed(format!(
                "unsupported transfer-encoding {te:?}"
            )));
        }
    };
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let length = match header("content-length") {
            None => 0,
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| ReadError::Malformed(format!("bad content-length {v:?}")))?,
        };
        if length > MAX_BODY {
            return Err(ReadError::Malformed("body too large".into()));
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };

    let connection = header("connection")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let close = if version == "HTTP/1.0" {
        !connection.contains("keep-alive")
    } else {
        connection.contains("close")
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        accept: header("accept"),
        content_type: header("content-type"),
        body,
        close,
    }))
}

/// Reads a `Transfer-Encoding: chunked` body. kube-rs sends `Content-Length`, but accepting
/// chunked bodies keeps the fake from failing confusingly if a client streams one.
fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let Some(line) = read_line(reader)? else {
            return Err(ReadError::Io);
        };
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ReadError::Malformed(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Skip trailers up to the blank line that ends the message.
            loop {
                match read_line(reader)? {
                    None => return Err(ReadError::Io),
                    Some(trailer) if trailer.is_empty() => return Ok(body),
                    Some(_) => {}
                }
            }
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Malformed("body too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        match read_line(reader)? {
            Some(end) if end.is_empty() => {}
            _ => return Err(ReadError::Malformed("chunk not followed by CRLF".into())),
        }
    }
}

fn write_response(writer: &mut impl Write, response: &Response, close: bool) -> io::Result<()> {
    let body = response.body.to_string();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        response.status,
        reason_phrase(response.status),
        body.len()
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    if let Some(seconds) = response.retry_after {
        head.push_str(&format!("Retry-After: {seconds}\r\n"));
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes())?;
    writer.write_all(body.as_bytes())?;
    writer.flush()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// The `reason` a real API server puts in a `Status` for this code.
fn status_reason(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        500..=599 => "InternalError",
        _ => "Unknown",
    }
}

/// A failure answered the way the API server does: a `Status` object whose `code` repeats
/// the HTTP status, which is what kube-rs turns into its `ErrorResponse`.
fn status_response(status: u16, message: &str) -> Response {
    Response {
        status,
        retry_after: None,
        body: json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": status_reason(status),
            "code": status,
        }),
    }
}

fn ok(status: u16, body: Value) -> Response {
    Response {
        status,
        body,
        retry_after: None,
    }
}

fn not_found(resource: &str, name: &str) -> Response {
    status_response(404, &format!("{resource} \"{name}\" not found"))
}

/// Records the request, then answers it: injected faults first, then the routes.
fn handle(state: &mut State, request: &Request) -> Delivery {
    state.requests.push(Recorded {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        accept: request.accept.clone(),
        content_type: request.content_type.clone(),
        body: String::from_utf8_lossy(&request.body).into_owned(),
    });

    let body = String::from_utf8_lossy(&request.body);
    if let Some(injected) = state.faults.iter_mut().find(|i| {
        let f = &i.fault;
        f.times > 0
            && f.method.eq_ignore_ascii_case(&request.method)
            && request.path.ends_with(&f.path_suffix)
            && (request.query.contains(f.contains) || body.contains(f.contains))
    }) {
        injected.fault.times -= 1;
        injected.fired += 1;
        let (status, answer) = (injected.fault.status, injected.fault.answer);
        if let Some(Change { key, patch }) = injected.change.clone() {
            let version = state.next_resource_version();
            if let Some(object) = state.helmreleases.get_mut(&key) {
                merge(object, &patch);
                set_metadata(object, "resourceVersion", version.into());
            }
        }
        let message = if status == 409 {
            "the object has been modified; please apply your changes to the latest version \
             and try again (injected fault)"
                .to_owned()
        } else {
            format!(
                "injected fault: {} {} answered with {status}",
                request.method, request.path
            )
        };
        return match answer {
            Answer::Status => Delivery::Answer(status_response(status, &message)),
            Answer::RetryAfter(seconds) => Delivery::Answer(Response {
                retry_after: Some(seconds),
                ..status_response(status, &message)
            }),
            Answer::Hang(time) => Delivery::Hang(time),
            Answer::Late(time) => Delivery::Late(answer_normally(state, request), time),
            Answer::Drop => Delivery::Drop,
            Answer::DropAfterApply => {
                let _applied = answer_normally(state, request);
                Delivery::Drop
            }
        };
    }
    Delivery::Answer(answer_normally(state, request))
}

/// RBAC, expired continue tokens, then the routes.
fn answer_normally(state: &mut State, request: &Request) -> Response {
    let query = match parse_query(&request.query) {
        Ok(query) => query,
        Err(message) => return status_response(400, &message),
    };
    if let Some(rules) = &state.rbac
        && let Some(denied) = rbac_denial(rules, request, &query)
    {
        return status_response(403, &denied);
    }
    if state.expire_continues > 0
        && request.method == "GET"
        && query.get("continue").is_some_and(|t| !t.is_empty())
    {
        state.expire_continues -= 1;
        return status_response(
            410,
            "The provided continue parameter is too old to display a consistent list result. \
             You can start a new list without the continue parameter.",
        );
    }
    route(state, request, &query)
}

fn route(state: &mut State, request: &Request, query: &Query) -> Response {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let method = request.method.as_str();
    match (method, segments.as_slice()) {
        ("GET", ["apis", HELM_GROUP, version, "helmreleases"]) => {
            let objects = state.helmreleases.values().collect();
            list_helmreleases(state, request, query, version, objects)
        }
        (
            "GET",
            [
                "apis",
                HELM_GROUP,
                version,
                "namespaces",
                ns,
                "helmreleases",
            ],
        ) => {
            let objects = namespaced(&state.helmreleases, ns);
            list_helmreleases(state, request, query, version, objects)
        }
        (
            "GET",
            [
                "apis",
                HELM_GROUP,
                _,
                "namespaces",
                ns,
                "helmreleases",
                name,
            ],
        )
        | (
            "GET",
            [
                "apis",
                HELM_GROUP,
                _,
                "namespaces",
                ns,
                "helmreleases",
                name,
                "status",
            ],
        ) => match state.helmreleases.get(&(ns.to_string(), name.to_string())) {
            Some(object) => ok(200, object.clone()),
            None => not_found(&format!("helmreleases.{HELM_GROUP}"), name),
        },
        (
            "PATCH",
            [
                "apis",
                HELM_GROUP,
                _,
                "namespaces",
                ns,
                "helmreleases",
                name,
            ],
        ) => patch_helmrelease(state, request, ns, name, PatchTarget::Main),
        (
            "PATCH",
            [
                "apis",
                HELM_GROUP,
                _,
                "namespaces",
                ns,
                "helmreleases",
                name,
                "status",
            ],
        ) => patch_helmrelease(state, request, ns, name, PatchTarget::Status),
        ("GET", ["apis", "apps", "v1", "namespaces", ns, "deployments", name]) => {
            match state.deployments.get(&(ns.to_string(), name.to_string())) {
                Some(object) => ok(200, object.clone()),
                None => not_found("deployments.apps", name),
            }
        }
        ("GET", ["api", "v1", "secrets"]) => {
            let result = list(
                state,
                request,
                query,
                state.secrets.values().collect(),
                ("v1", "SecretList"),
            );
            finish_secret_list(state, result)
        }
        ("GET", ["api", "v1", "namespaces", ns, "secrets"]) => {
            let result = list(
                state,
                request,
                query,
                namespaced(&state.secrets, ns),
                ("v1", "SecretList"),
            );
            finish_secret_list(state, result)
        }
        ("POST", ["apis", "events.k8s.io", "v1", "namespaces", ns, "events"])
        | ("POST", ["api", "v1", "namespaces", ns, "events"]) => create_event(state, request, ns),
        // kube-runtime's event recorder patches an event it already created when the same
        // event repeats (an event series), so answer that too rather than 404.
        (
            "PATCH",
            [
                "apis",
                "events.k8s.io",
                "v1",
                "namespaces",
                ns,
                "events",
                name,
            ],
        )
        | ("PATCH", ["api", "v1", "namespaces", ns, "events", name]) => {
            patch_event(state, request, ns, name)
        }
        _ => status_response(404, "the server could not find the requested resource"),
    }
}

fn namespaced<'a>(objects: &'a BTreeMap<(String, String), Value>, ns: &str) -> Vec<&'a Value> {
    // Borrow, never clone, the whole store: only the page being served is copied, so a
    // 30,000-object list costs one page of clones per request (the benchmark relies on it).
    objects
        .iter()
        .filter(|((namespace, _), _)| namespace == ns)
        .map(|(_, object)| object)
        .collect()
}

fn list_helmreleases(
    state: &State,
    request: &Request,
    query: &Query,
    version: &str,
    objects: Vec<&Value>,
) -> Response {
    let api_version = format!("{HELM_GROUP}/{version}");
    match list(
        state,
        request,
        query,
        objects,
        (&api_version, "HelmReleaseList"),
    ) {
        Ok((body, _)) => ok(200, body),
        Err(response) => response,
    }
}

fn finish_secret_list(state: &mut State, result: Result<(Value, bool), Response>) -> Response {
    match result {
        Ok((body, with_payload)) => {
            state.secrets_payload_served |= with_payload;
            ok(200, body)
        }
        Err(response) => response,
    }
}

/// Filters, pages and shapes a list response. `objects` are already in (namespace, name)
/// order. Returns the body and whether it carries full objects (as opposed to metadata).
fn list(
    state: &State,
    request: &Request,
    query: &Query,
    objects: Vec<&Value>,
    (api_version, kind): (&str, &str),
) -> Result<(Value, bool), Response> {
    if query.get("watch").is_some_and(|w| w == "true" || w == "1") {
        return Err(status_response(
            400,
            "watch is not supported by the fake API server",
        ));
    }
    let selector = match query.get("labelSelector") {
        Some(text) => parse_selector(text).map_err(|m| status_response(400, &m))?,
        None => Vec::new(),
    };
    let limit = match query.get("limit") {
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| status_response(400, &format!("invalid limit {text:?}")))?,
        None => 0,
    };
    let offset = match query.get("continue").filter(|t| !t.is_empty()) {
        Some(token) => token
            .strip_prefix(CONTINUE_PREFIX)
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| status_response(400, &format!("invalid continue token {token:?}")))?,
        None => 0,
    };

    let matching: Vec<&Value> = objects
        .into_iter()
        .filter(|object| selector.iter().all(|term| term.matches(object)))
        .collect();
    let end = if limit == 0 {
        matching.len()
    } else {
        offset.saturating_add(limit).min(matching.len())
    };
    let page = matching.get(offset..end).unwrap_or_default();

    let mut metadata = Map::new();
    metadata.insert("resourceVersion".into(), state.counter.to_string().into());
    if end < matching.len() {
        metadata.insert("continue".into(), format!("{CONTINUE_PREFIX}{end}").into());
    }

    // kube-rs asks for metadata only with
    // `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`.
    let metadata_only = request
        .accept
        .as_deref()
        .is_some_and(|a| a.contains("as=PartialObjectMetadataList"));
    let body = if metadata_only {
        let items: Vec<Value> = page
            .iter()
            .map(|object| {
                json!({
                    "apiVersion": "meta.k8s.io/v1",
                    "kind": "PartialObjectMetadata",
                    "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
                })
            })
            .collect();
        json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadataList",
            "metadata": metadata,
            "items": items,
        })
    } else {
        json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": metadata,
            "items": page.iter().map(|o| (*o).clone()).collect::<Vec<Value>>(),
        })
    };
    Ok((body, !metadata_only))
}

/// Which part of a `HelmRelease` a PATCH may change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PatchTarget {
    /// The main resource: everything except `status`.
    Main,
    /// The `status` subresource: only `status`.
    Status,
}

fn patch_helmrelease(
    state: &mut State,
    request: &Request,
    ns: &str,
    name: &str,
    target: PatchTarget,
) -> Response {
    let patch = match merge_patch_body(request, &[MERGE_PATCH]) {
        Ok(patch) => patch,
        Err(response) => return response,
    };
    let key = (ns.to_owned(), name.to_owned());
    let Some(current) = state.helmreleases.get(&key) else {
        return not_found(&format!("helmreleases.{HELM_GROUP}"), name);
    };
    if let Some(conflict) = precondition_failure(current, &patch) {
        return conflict;
    }

    let mut updated = current.clone();
    match target {
        PatchTarget::Main => {
            // `status` is a subresource: the main resource silently ignores it.
            let mut patch = patch;
            if let Value::Object(fields) = &mut patch {
                fields.remove("status");
            }
            merge(&mut updated, &patch);
        }
        PatchTarget::Status => {
            if let Some(status) = patch.get("status") {
                merge(&mut updated, &json!({ "status": status }));
            }
        }
    }
    restore_server_fields(current, &mut updated);
    // The HelmRelease CRD types `status.conditions` as metav1.Condition: the API server
    // rejects the whole status patch if any entry it writes fails that schema
    // (unchanged old entries are left alone, as validation ratcheting does).
    let writes_conditions =
        target == PatchTarget::Status && request_writes_conditions(&request.body);
    if let Some(problem) = condition_schema_problem(&updated).filter(|_| writes_conditions) {
        return status_response(
            422,
            &format!("HelmRelease.{HELM_GROUP} \"{name}\" is invalid: {problem}"),
        );
    }
    if updated.get("spec") != current.get("spec") {
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        set_metadata(
            &mut updated,
            "generation",
            generation.saturating_add(1).into(),
        );
    }
    let version = state.next_resource_version();
    set_metadata(&mut updated, "resourceVersion", version.into());
    state.helmreleases.insert(key, updated.clone());
    ok(200, updated)
}

/// Checks the content type against `accepted` and parses the JSON object patch body.
fn merge_patch_body(request: &Request, accepted: &[&str]) -> Result<Value, Response> {
    let media_type = request
        .content_type
        .as_deref()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !accepted.contains(&media_type.as_str()) {
        return Err(status_response(
            415,
            &format!(
                "the body of the request was in an unknown format ({media_type:?}) - the fake \
                 API server accepts only {}",
                accepted.join(", ")
            ),
        ));
    }
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(patch @ Value::Object(_)) => Ok(patch),
        Ok(_) => Err(status_response(
            400,
            "merge patch body is not a JSON object",
        )),
        Err(e) => Err(status_response(
            400,
            &format!("merge patch body is not JSON: {e}"),
        )),
    }
}

/// A patch that names a `metadata.resourceVersion` only applies to that exact version;
/// this is how clients do optimistic concurrency with merge patches.
fn precondition_failure(current: &Value, patch: &Value) -> Option<Response> {
    let wanted = patch
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)?;
    let stored = current
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    (wanted != stored).then(|| {
        status_response(
            409,
            "Operation cannot be fulfilled: the object has been modified; please apply your \
             changes to the latest version and try again",
        )
    })
}

/// Puts back the metadata the server owns, whatever the patch said about it.
fn restore_server_fields(current: &Value, updated: &mut Value) {
    for field in ["name", "namespace", "generation", "resourceVersion"] {
        match current.pointer(&format!("/metadata/{field}")) {
            Some(value) => set_metadata(updated, field, value.clone()),
            None => {
                if let Some(Value::Object(metadata)) = updated.get_mut("metadata") {
                    metadata.remove(field);
                }
            }
        }
    }
}

fn set_metadata(object: &mut Value, field: &str, value: Value) {
    if !object.is_object() {
        *object = Value::Object(Map::new());
    }
    if let Value::Object(fields) = object {
        let metadata = fields
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !metadata.is_object() {
            *metadata = Value::Object(Map::new());
        }
        if let Value::Object(metadata) = metadata {
            metadata.insert(field.to_owned(), value);
        }
    }
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` deletes, anything else
/// replaces.
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch_fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_fields) = target {
        for (key, value) in patch_fields {
            if value.is_null() {
                target_fields.remove(key);
            } else {
                merge(
                    target_fields.entry(key.clone()).or_insert(Value::Null),
                    value,
                );
            }
        }
    }
}

fn request_writes_conditions(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|p| p.pointer("/status/conditions").map(Value::is_array))
        .unwrap_or(false)
}

/// The first entry of `status.conditions` that metav1.Condition's OpenAPI schema
/// rejects, as the API server words it (`status.conditions[0].reason: ...`). Written
/// independently of the core's own check, from the Kubernetes type definition.
fn condition_schema_problem(object: &Value) -> Option<String> {
    let conditions = object.pointer("/status/conditions")?.as_array()?;
    for (i, c) in conditions.iter().enumerate() {
        let at = |field: &str| format!("status.conditions[{i}].{field}");
        let text = |field: &str| c.get(field).and_then(Value::as_str);
        for field in ["type", "status", "reason", "message", "lastTransitionTime"] {
            if text(field).is_none() {
                return Some(format!("{}: Required value", at(field)));
            }
        }
        let reason = text("reason").unwrap_or_default();
        let reason_ok = reason.len() <= 1024
            && reason
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic())
            && reason
                .chars()
                .last()
                .is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            && reason
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "_,:".contains(ch));
        if !reason_ok {
            return Some(format!(
                "{}: Invalid value: {reason:?}: should match '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$'",
                at("reason")
            ));
        }
        if text("message").unwrap_or_default().len() > 32_768 {
            return Some(format!(
                "{}: Too long: may not be more than 32768 bytes",
                at("message")
            ));
        }
        if !matches!(text("status"), Some("True" | "False" | "Unknown")) {
            return Some(format!("{}: Unsupported value", at("status")));
        }
        let time = text("lastTransitionTime").unwrap_or_default();
        if time.len() < 20 || !time.contains('T') {
            return Some(format!(
                "{}: Invalid value: {time:?}: not a date-time",
                at("lastTransitionTime")
            ));
        }
        match c.get("observedGeneration") {
            None => {}
            Some(g) if g.as_i64().is_some_and(|g| g >= 0) => {}
            Some(_) => {
                return Some(format!(
                    "{}: Invalid value: should be a non-negative integer",
                    at("observedGeneration")
                ));
            }
        }
    }
    None
}

/// The API server's limit on an events.k8s.io/v1 Event's `note`.
const MAX_EVENT_NOTE: usize = 1024;

fn create_event(state: &mut State, request: &Request, ns: &str) -> Response {
    let mut event = match serde_json::from_slice::<Value>(&request.body) {
        Ok(event @ Value::Object(_)) => event,
        Ok(_) => return status_response(400, "event body is not a JSON object"),
        Err(e) => return status_response(400, &format!("event body is not JSON: {e}")),
    };
    let note = event
        .get("note")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if note.len() > MAX_EVENT_NOTE {
        return status_response(
            422,
            &format!(
                "Event.events.k8s.io is invalid: note: Too long: may not be more than {MAX_EVENT_NOTE} bytes"
            ),
        );
    }
    let version = state.next_resource_version();
    let has_name = event
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    if !has_name {
        // Mirror `generateName`: the server picks a unique suffix.
        let prefix = event
            .pointer("/metadata/generateName")
            .and_then(Value::as_str)
            .unwrap_or("event-")
            .to_owned();
        set_metadata(&mut event, "name", format!("{prefix}{version}").into());
    }
    if event.pointer("/metadata/namespace").is_none() {
        set_metadata(&mut event, "namespace", ns.into());
    }
    set_metadata(&mut event, "resourceVersion", version.into());
    state.events.push(event.clone());
    ok(201, event)
}

fn patch_event(state: &mut State, request: &Request, ns: &str, name: &str) -> Response {
    let patch = match merge_patch_body(request, &[MERGE_PATCH, STRATEGIC_MERGE_PATCH]) {
        Ok(patch) => patch,
        Err(response) => return response,
    };
    let version = state.next_resource_version();
    let Some(event) = state.events.iter_mut().find(|e| {
        e.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns)
            && e.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
    }) else {
        return not_found("events.events.k8s.io", name);
    };
    let current = event.clone();
    merge(event, &patch);
    restore_server_fields(&current, event);
    set_metadata(event, "resourceVersion", version.into());
    ok(200, event.clone())
}

/// Decoded query parameters; the first occurrence of a name wins.
struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_query(raw: &str) -> Result<Query, String> {
    let mut pairs = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        pairs.push((percent_decode(name)?, percent_decode(value)?));
    }
    Ok(Query(pairs))
}

/// Decodes `%XX` escapes. `+` stays `+` (see the module docs); a `%` not followed by two
/// hex digits is kept literally, as lenient servers do.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("query value {text:?} is not UTF-8"))
}

/// One term of an equality-based label selector.
enum SelectorTerm {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

impl SelectorTerm {
    fn matches(&self, object: &Value) -> bool {
        let label = |key: &str| {
            object
                .pointer("/metadata/labels")
                .and_then(|labels| labels.get(key))
                .and_then(Value::as_str)
        };
        match self {
            SelectorTerm::Equals(key, value) => label(key) == Some(value.as_str()),
            SelectorTerm::NotEquals(key, value) => label(key) != Some(value.as_str()),
            SelectorTerm::Exists(key) => label(key).is_some(),
            SelectorTerm::Absent(key) => label(key).is_none(),
        }
    }
}

fn parse_selector(text: &str) -> Result<Vec<SelectorTerm>, String> {
    let unsupported = || format!("unsupported label selector {text:?}");
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    };
    let mut terms = Vec::new();
    for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let parsed = if let Some((key, value)) = term.split_once("!=") {
            SelectorTerm::NotEquals(key.trim().to_owned(), value.trim().to_owned())
        } else if let Some((key, value)) = term.split_once("==") {
            SelectorTerm::Equals(key.trim().to_owned(), value.trim().to_owned())
        } else if let Some((key, value)) = term.split_once('=') {
            SelectorTerm::Equals(key.trim().to_owned(), value.trim().to_owned())
        } else if let Some(key) = term.strip_prefix('!') {
            SelectorTerm::Absent(key.trim().to_owned())
        } else {
            SelectorTerm::Exists(term.to_owned())
        };
        let ok = match &parsed {
            SelectorTerm::Equals(key, value) | SelectorTerm::NotEquals(key, value) => {
                valid(key) && (value.is_empty() || valid(value))
            }
            SelectorTerm::Exists(key) | SelectorTerm::Absent(key) => valid(key),
        };
        if !ok {
            return Err(unsupported());
        }
        terms.push(parsed);
    }
    Ok(terms)
}

/// One RBAC policy rule, from a ClusterRole (`namespace: None`) or a Role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RbacRule {
    /// The Role's namespace; `None` for a ClusterRole bound cluster-wide.
    pub namespace: Option<String>,
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources` (`helmreleases/status` for a subresource).
    pub resources: Vec<String>,
    /// `resourceNames` (empty: any).
    pub resource_names: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
}

/// Every ClusterRole and Role rule of the kustomize base `deploy/catalyst-guard.yaml`
/// (the chart rendered with its default values, namespace `flux-system`).
pub fn rbac_from_deploy() -> Vec<RbacRule> {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/catalyst-guard.yaml"
    ));
    let text = fs::read_to_string(path).expect("deploy/catalyst-guard.yaml");
    let parsed = catalyst_guard::yaml::parse(&text);
    let strings = |node: Option<catalyst_guard::yaml::Node<'_>>| -> Vec<String> {
        node.map(|n| {
            n.items()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    };
    let mut rules = Vec::new();
    for root in parsed.documents.iter().filter_map(|d| d.root()) {
        let namespace = match root.str_at(&["kind"]) {
            Some("ClusterRole") => None,
            Some("Role") => Some(
                root.str_at(&["metadata", "namespace"])
                    .expect("a namespaced Role")
                    .to_owned(),
            ),
            _ => continue,
        };
        for rule in root.get("rules").expect("rules").items() {
            rules.push(RbacRule {
                namespace: namespace.clone(),
                api_groups: strings(rule.get("apiGroups")),
                resources: strings(rule.get("resources")),
                resource_names: strings(rule.get("resourceNames")),
                verbs: strings(rule.get("verbs")),
            });
        }
    }
    assert!(
        !rules.is_empty(),
        "deploy/catalyst-guard.yaml holds no ClusterRole or Role"
    );
    rules
}

/// Why no rule grants this request, or `None` if one does.
fn rbac_denial(rules: &[RbacRule], request: &Request, query: &Query) -> Option<String> {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let (group, rest) = match segments.as_slice() {
        ["api", _version, rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(*ns), rest),
        rest => (None, rest),
    };
    let (resource, name) = match rest {
        [resource] => ((*resource).to_owned(), None),
        [resource, name] => ((*resource).to_owned(), Some(*name)),
        [resource, name, sub] => (format!("{resource}/{sub}"), Some(*name)),
        _ => return None,
    };
    let verb = match (request.method.as_str(), name) {
        ("GET", None) if query.get("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
        ("GET", None) => "list",
        ("GET", Some(_)) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", None) => "deletecollection",
        ("DELETE", Some(_)) => "delete",
        _ => return None,
    };
    let any = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
    let granted = rules.iter().any(|r| {
        any(&r.api_groups, group)
            && any(&r.resources, &resource)
            && any(&r.verbs, verb)
            && (r.resource_names.is_empty() || name.is_some_and(|n| any(&r.resource_names, n)))
            && r.namespace
                .as_deref()
                .is_none_or(|role_ns| namespace == Some(role_ns))
    });
    (!granted).then(|| {
        let scope = namespace.map_or_else(
            || "at the cluster scope".to_owned(),
            |ns| format!("in the namespace \"{ns}\""),
        );
        format!(
            "{resource}{} is forbidden: User \"system:serviceaccount:flux-system:stuck-hr-recovery\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}",
            name.map(|n| format!(" \"{n}\"")).unwrap_or_default()
        )
    })
}
