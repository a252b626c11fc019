//! The assistant's answer survives its instance's graceful shutdown: two sample processes on
//! one real `redis-server`; an answer started on A, read on A, A sent SIGTERM in the middle of
//! it; the reader, drained, reconnects to B with its Last-Event-ID and reads the rest of the
//! answer there, each token once, up to its `done`; A exits once its answer has ended.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;

// The root test package's `redis-server` helper, shared rather than copied (it reads
// `super::PATIENCE` and `super::tools`).
#[path = "../../tests/support/redis.rs"]
#[allow(unreachable_pub)] // pub for the root tests, which reach it through `support`
#[allow(dead_code)] // this test restarts no Redis
mod redis;
mod support;
#[path = "../../tests/support/tools.rs"]
#[allow(unreachable_pub)] // pub for the root tests, which reach it through `support`
#[allow(dead_code)] // this test needs no npm program
mod tools;

use redis::Redis;
use support::PATIENCE;

async fn sample(redis: &Redis) -> (Child, SocketAddr) {
    let url = redis.url();
    let env = [
        ("REDIS_URL", url.as_str()),
        ("SESSION_SECRET", "two processes, one assistant"),
        ("SAMPLE_USERS", "ann:ann-password"),
    ];
    support::start(&env, "http").await
}

/// Sends `request` on a new connection and reads the whole answer (`Connection: close`).
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    tokio::time::timeout(PATIENCE, stream.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .expect("an answer");
    answer
}

fn post(path: &str, cookie: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Logs in as `ann` on `addr`; the session cookie, good on both processes.
async fn login(addr: SocketAddr) -> String {
    let answer = exchange(
        addr,
        &post(
            "/login",
            "none=1",
            r#"{"name":"ann","password":"ann-password"}"#,
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    let cookie = answer
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .expect("a session cookie");
    cookie.split(';').next().expect("name=value").to_owned()
}

/// An event as read off the wire: its id, type and data.
#[derive(Debug, Default, Clone, PartialEq)]
struct Event {
    id: String,
    kind: String,
    data: String,
}

/// A reader of the answer's stream on one connection.
struct Reader {
    stream: TcpStream,
    /// What was read and not yet parsed into events.
    pending: String,
}

impl Reader {
    async fn open(addr: SocketAddr, cookie: &str, id: &str, seen: Option<&str>) -> Self {
        let header = seen.map_or(String::new(), |seen| format!("Last-Event-ID: {seen}\r\n"));
        let request = format!(
            "GET /assistant/answers/{id}/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n{header}\r\n"
        );
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut reader = Self {
            stream,
            pending: String::new(),
        };
        let head = reader.until("\r\n\r\n").await.expect("an answer head");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        reader
    }

    /// Reads until `marker`; what came before it (and it), or `None` when the connection ends.
    async fn until(&mut self, marker: &str) -> Option<String> {
        let mut chunk = [0_u8; 4096];
        loop {
            if let Some(at) = self.pending.find(marker) {
                let taken = self.pending[..at + marker.len()].to_owned();
                self.pending.drain(..at + marker.len());
                return Some(taken);
            }
            let n = tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk))
                .await
                .expect("the stream moves in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.pending
                .push_str(std::str::from_utf8(&chunk[..n]).expect("UTF-8"));
        }
    }

    /// The next event, or `None` once the stream has ended (the chunked body's framing lines,
    /// hex sizes, are not fields and are skipped).
    async fn next(&mut self) -> Option<Event> {
        loop {
            let block = self.until("\n\n").await?;
            let mut event = Event::default();
            let mut fields = false;
            for line in block.lines() {
                if let Some(id) = line.strip_prefix("id: ") {
                    event.id = id.to_owned();
                } else if let Some(kind) = line.strip_prefix("event: ") {
                    event.kind = kind.to_owned();
                } else if let Some(data) = line.strip_prefix("data: ") {
                    event.data = data.to_owned();
                    fields = true;
                }
            }
            if fields {
                return Some(event);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_survives_its_instance_shutting_down() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let (mut a_process, a) = sample(&redis).await;
    let (_b_process, b) = sample(&redis).await;
    let cookie = login(a).await;

    // 30 tokens, 100 ms apart: A is told to stop about a second into the answer.
    let started = exchange(
        a,
        &post(
            "/assistant/answers",
            &cookie,
            r#"{"tokens":30,"every_ms":100}"#,
        ),
    )
    .await;
    assert!(started.starts_with("HTTP/1.1 201"), "{started}");
    let id = started
        .rsplit("\r\n\r\n")
        .next()
        .and_then(|body| body.split('"').nth(1))
        .expect("the run's id")
        .to_owned();

    let mut on_a = Reader::open(a, &cookie, &id, None).await;
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(on_a.next().await.expect("a token on A"));
    }
    let pid = a_process.id().expect("A runs").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success());

    // A's drain ends the reader's stream after what it had; it moves to B with its last id.
    while let Some(event) = on_a.next().await {
        seen.push(event);
    }
    assert!(
        seen.iter().all(|event| event.kind.is_empty()),
        "A ended the stream before the answer's end: {seen:?}"
    );
    let last = seen.last().expect("events").id.clone();
    let mut on_b = Reader::open(b, &cookie, &id, Some(&last)).await;
    while seen.last().is_none_or(|event| event.kind != "done") {
        seen.push(on_b.next().await.expect("the rest on B"));
    }

    // The whole answer, each token once, in order.
    let text: String = seen
        .iter()
        .filter(|event| event.kind.is_empty())
        .map(|event| event.data.as_str())
        .collect();
    // (The wire's `data: ` takes one space: a token's trailing space stays.)
    assert_eq!(text, nestish_sample::assistant::answer(30));
    let ids: Vec<u64> = seen
        .iter()
        .map(|event| event.id.parse().expect("numeric ids"))
        .collect();
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");

    // A waited for its answer to end, then exited cleanly.
    let exit = tokio::time::timeout(PATIENCE, a_process.wait())
        .await
        .expect("A exits in time")
        .expect("A's exit status");
    assert!(exit.success(), "{exit:?}");
}
