//! A minimal W3C WebDriver client for Debian's chromedriver and headless Chromium: enough to load
//! a page and run scripts in it. Speaks HTTP through [`Conn`](super::Conn).

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::{Conn, tools};

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one WebDriver command may take before the test fails instead of hanging.
const WEBDRIVER_PATIENCE: Duration = Duration::from_secs(60);

/// One headless Chromium session, ended (and its driver killed) on drop.
pub struct Browser {
    _driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session; `None` (test skipped) when they are
    /// not installed outside CI.
    pub async fn launch() -> Option<Self> {
        Self::launch_with(&[]).await
    }

    /// As [`launch`](Self::launch), with more Chromium command-line switches.
    pub async fn launch_with(switches: &[String]) -> Option<Self> {
        if !tools::available("chromedriver") || !tools::available("chromium") {
            return None;
        }
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_until_ready(addr).await;
        let profile = TempDir::new();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ]
        .map(String::from)
        .to_vec();
        args.push(format!("--user-data-dir={}", profile.0.display()));
        args.extend_from_slice(switches);
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": args,
                },
            }},
        });
        let created = command(addr, "POST", "/session", &capabilities).await;
        let session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        let browser = Self {
            _driver: driver,
            addr,
            session,
            _profile: profile,
        };
        browser
            .call(
                "POST",
                "/timeouts",
                &json!({ "script": 30_000, "pageLoad": 30_000 }),
            )
            .await;
        Some(browser)
    }

    async fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        command(self.addr, method, &path, body).await
    }

    /// Loads `url` and waits for it.
    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", &json!({ "url": url })).await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            &json!({ "script": script, "args": args }),
        )
        .await
    }

    /// A PNG of the page as it shows now (WebDriver's screenshot, decoded).
    #[allow(dead_code, reason = "not every test binary takes screenshots")]
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let png = self.call("GET", "/screenshot", &Value::Null).await;
        base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("a screenshot as base64"))
            .expect("a screenshot as base64")
    }

    /// Runs `script`, whose last argument is a callback; returns what it is called with.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/async",
            &json!({ "script": script, "args": args }),
        )
        .await
    }
}

/// Ending the session makes chromedriver close Chromium; killing chromedriver alone (which
/// `kill_on_drop` does next) would leave Chromium running. Blocking I/O is fine in a test's drop,
/// and it runs even when the test panics.
impl Drop for Browser {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
            self.session
        );
        if let Ok(mut stream) = std::net::TcpStream::connect(self.addr) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            if stream.write_all(request.as_bytes()).is_ok() {
                // Wait for the answer: Chromium is gone once chromedriver replies.
                let _ = stream.read(&mut [0; 1024]);
            }
        }
    }
}

/// One WebDriver command; returns its `value`, panicking on a WebDriver error.
async fn command(addr: SocketAddr, method: &str, path: &str, body: &Value) -> Value {
    // A command may load a page and run its scripts in Chromium: on a loaded machine (two cores
    // shared with parallel test binaries) that takes far longer than a read from our own server.
    let mut conn = Conn::open(addr).await.patience(WEBDRIVER_PATIENCE);
    let body = if method == "POST" {
        body.to_string()
    } else {
        String::new()
    };
    conn.send_body(method, path, &["Content-Type: application/json"], &body)
        .await;
    let head = conn.head().await;
    let text = if head.header("transfer-encoding") == Some("chunked") {
        conn.chunked_body().await
    } else {
        conn.sized_body(&head).await
    };
    let mut reply: Value = serde_json::from_str(&text).expect("WebDriver answers JSON");
    assert_eq!(
        head.status, 200,
        "WebDriver {method} {path} failed: {reply}"
    );
    reply["value"].take()
}

/// Polls `/status` until chromedriver says it is ready; a refused or reset connection while it
/// starts is just "not yet".
async fn wait_until_ready(addr: SocketAddr) {
    for _ in 0..100 {
        if status_ready(addr).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not become ready on {addr}");
}

async fn status_ready(addr: SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        // chromedriver may keep the connection open: read until the answer is in.
        let mut reply = Vec::new();
        let mut chunk = [0; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            reply.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&reply);
            if n == 0 || text.contains("\"ready\":") {
                return std::io::Result::Ok(text.contains("\"ready\":true"));
            }
        }
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), probe).await,
        Ok(Ok(true))
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A fresh, empty Chromium profile directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nestish-chromium-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("profile directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Logs `browser` in as `name`, one of the sample's default users (`ann`, `bob`: the password
/// is the name and `-password`), through the sample's login page: the session cookie is set.
pub async fn log_in(browser: &Browser, addr: std::net::SocketAddr, name: &str) {
    let status = try_log_in(browser, addr, name, &format!("{name}-password")).await;
    assert_eq!(status, 204, "login as {name}");
}

/// Asks the sample's login page to log `browser` in as `name` with `password`; the answer's
/// status.
pub async fn try_log_in(
    browser: &Browser,
    addr: std::net::SocketAddr,
    name: &str,
    password: &str,
) -> serde_json::Value {
    browser.goto(&format!("http://{addr}/login")).await;
    browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             login(arguments[0], arguments[1]).then(done, (e) => done(String(e)));",
            serde_json::json!([name, password]),
        )
        .await
}
