//! A smart-HTTP Git server for tests: a tiny HTTP/1.1 server on 127.0.0.1 that runs
//! `git http-backend` as a CGI program for each request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::git_command;

/// What the server demands before serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRequirement {
    /// Anyone may fetch.
    None,
    /// HTTP basic authentication with this user and password.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, e.g. `/repo/git-upload-pack`.
    pub path: String,
    /// The query string, e.g. `service=git-upload-pack`.
    pub query: String,
    /// The protocol-v2 command of a `POST` (`ls-refs`, `fetch`), if any.
    pub command: Option<String>,
    /// The status code sent.
    pub status: u16,
    /// Whether an `Authorization` header came with it.
    pub authorized: bool,
}

/// Smart HTTP on 127.0.0.1, serving every repository under a project root; stopped when
/// dropped.
///
/// ```
/// use gitops_source::testing::{AuthRequirement, GitRepoFixture, SmartHttpServer};
///
/// let repo = GitRepoFixture::new();
/// repo.commit("first");
/// let server = SmartHttpServer::start(repo.parent(), AuthRequirement::None);
/// let url = server.url(repo.name());
/// assert!(url.starts_with("http://127.0.0.1:"));
/// assert!(server.requests().is_empty());
/// ```
#[derive(Debug)]
pub struct SmartHttpServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    root: PathBuf,
    auth: AuthRequirement,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl SmartHttpServer {
    /// Serves the repositories under `project_root`.
    pub fn start(project_root: &Path, auth: AuthRequirement) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            root: project_root.to_owned(),
            auth,
            requests: requests.clone(),
        });
        let stop_flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Self {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>/<name>`.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// The requests answered so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        if let Ok(mut r) = self.requests.lock() {
            r.clear();
        }
    }

    /// How many requests carried the protocol-v2 `command` (`ls-refs`, `fetch`).
    pub fn count_command(&self, command: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.command.as_deref() == Some(command))
            .count()
    }
}

impl Drop for SmartHttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    // Keep-alive: answer requests until the client closes the connection.
    while let Some(request) = read_request(&mut reader)? {
        let authorized = request.header("authorization").is_some();
        let command = v2_command(&request.body);
        let (status, headers, body) =
            if !is_authorized(&shared.auth, request.header("authorization")) {
                (
                    401,
                    vec![(
                        "WWW-Authenticate".to_owned(),
                        "Basic realm=\"git\"".to_owned(),
                    )],
                    b"authentication required\n".to_vec(),
                )
            } else {
                run_backend(&shared.root, &request)?
            };
        if let Ok(mut requests) = shared.requests.lock() {
            requests.push(RecordedRequest {
                method: request.method.clone(),
                path: request.path.clone(),
                query: request.query.clone(),
                command,
                status,
                authorized,
            });
        }
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        writer.write_all(head.as_bytes())?;
        writer.write_all(&body)?;
        writer.flush()?;
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Status",
    }
}

fn is_authorized(required: &AuthRequirement, header: Option<&str>) -> bool {
    match required {
        AuthRequirement::None => true,
        AuthRequirement::Basic { username, password } => {
            header
                == Some(&format!(
                    "Basic {}",
                    crate::git::base64(format!("{username}:{password}").as_bytes())
                ))
        }
        AuthRequirement::Bearer(token) => header == Some(&format!("Bearer {token}")),
    }
}

fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target, String::new()),
    };
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        path,
        query,
        headers,
        body: Vec::new(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
            if size == 0 {
                break;
            }
            request.body.extend_from_slice(&chunk);
        }
    } else if let Some(len) = request.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        request.body = vec![0; len];
        reader.read_exact(&mut request.body)?;
    }
    Ok(Some(request))
}

/// The `command=…` of a protocol-v2 request body.
fn v2_command(body: &[u8]) -> Option<String> {
    let len = usize::from_str_radix(std::str::from_utf8(body.get(..4)?).ok()?, 16).ok()?;
    let line = std::str::from_utf8(body.get(4..len)?).ok()?;
    line.trim_end().strip_prefix("command=").map(str::to_owned)
}

type Response = (u16, Vec<(String, String)>, Vec<u8>);

fn run_backend(root: &Path, request: &Request) -> std::io::Result<Response> {
    let mut cmd = git_command();
    cmd.arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &request.method)
        .env("PATH_INFO", &request.path)
        .env("QUERY_STRING", &request.query)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", request.body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(v) = request.header("content-type") {
        cmd.env("CONTENT_TYPE", v);
    }
    if let Some(v) = request.header("git-protocol") {
        cmd.env("GIT_PROTOCOL", v);
    }
    if let Some(v) = request.header("content-encoding") {
        cmd.env("HTTP_CONTENT_ENCODING", v);
    }
    let mut child = cmd.spawn()?;
    let mut stdin = child.stdin.take();
    let body = request.body.clone();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&body);
        }
    });
    let mut out = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout.read_to_end(&mut out)?;
    }
    let _ = writer.join();
    child.wait()?;
    // CGI output: headers, a blank line, the body.
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let Some((end, sep)) = split else {
        return Ok((500, Vec::new(), out));
    };
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(&out[..end]).lines() {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim().to_owned();
            if name.eq_ignore_ascii_case("status") {
                status = value
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(500);
            } else {
                headers.push((name.trim().to_owned(), value));
            }
        }
    }
    Ok((status, headers, out[end + sep..].to_vec()))
}
