//! The sample binary run twice on one real `redis-server`, as a user would with
//! `REDIS_URL=... PORT=... cargo run -p nestish-sample`, and twice on a real Redis Cluster of
//! three masters with `REDIS_CLUSTER_URLS`: a chat message posted to one process reaches a
//! page's stream on the other, and a reconnect to the first with the last id gets the rest once;
//! and a process killed with `SIGKILL` leaves the chat's presence within its expiry.

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
#[path = "../../tests/support/redis_cluster.rs"]
#[allow(unreachable_pub)] // pub for the root tests, which reach it through `support`
#[allow(dead_code)] // this test fails over no master
mod redis_cluster;
mod support;
#[path = "../../tests/support/tools.rs"]
#[allow(unreachable_pub)] // pub for the root tests, which reach it through `support`
#[allow(dead_code)] // this test runs no npm client
mod tools;

use redis::Redis;
use redis_cluster::Cluster;
use support::PATIENCE;

/// Runs the sample binary on a free port with `REDIS_URL`; returns it and its address.
async fn sample(redis: &Redis) -> (Child, SocketAddr) {
    sample_on("REDIS_URL", &redis.url()).await
}

/// Runs the sample binary on a free port with its hub where `variable` (`REDIS_URL` or
/// `REDIS_CLUSTER_URLS`) says.
async fn sample_on(variable: &str, value: &str) -> (Child, SocketAddr) {
    let env = [
        (variable, value),
        ("SESSION_SECRET", "two processes, one chat"),
        ("SAMPLE_USERS", "ann:ann-password"),
    ];
    support::start(&env, "http").await
}

/// Sends `request` on a new connection; returns the connection.
async fn send(addr: SocketAddr, request: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sent");
    stream
}

/// Reads from `stream` until what it read contains `wanted`; returns all of it.
async fn read_until(stream: &mut TcpStream, wanted: &str) -> String {
    let mut read = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&read).contains(wanted) {
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .unwrap_or_else(|_| panic!("{wanted:?} never came: {}", String::from_utf8_lossy(&read)))
            .expect("read");
        assert!(
            n > 0,
            "closed before {wanted:?}: {}",
            String::from_utf8_lossy(&read)
        );
        read.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(read).expect("UTF-8")
}

/// Logs in as `ann` (one of the default users) on `addr`; the session cookie (`session=...`),
/// good on every instance that shares the secret.
async fn login(addr: SocketAddr) -> String {
    login_as(addr, "ann").await
}

/// Logs in as `name`, whose password is `<name>-password`, on `addr`; the session cookie.
async fn login_as(addr: SocketAddr, name: &str) -> String {
    let body = format!(r#"{{"name":"{name}","password":"{name}-password"}}"#);
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = send(addr, &request).await;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    let cookie = answer
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .expect("a session cookie");
    cookie.split(';').next().expect("name=value").to_owned()
}

/// Posts a chat message to `addr` as the holder of `cookie`; its id.
async fn post(addr: SocketAddr, cookie: &str, text: &str) -> u64 {
    let body = format!(r#"{{"text":"{text}"}}"#);
    let request = format!(
        "POST /chat/messages HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = send(addr, &request).await;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let id = answer.rsplit(r#"{"id":"#).next().expect("an id");
    id.trim_end_matches('}').parse().expect("a numeric id")
}

/// Opens the chat's stream on `addr` as the holder of `cookie`, after `last_event_id` if given.
async fn events(addr: SocketAddr, cookie: &str, last_event_id: Option<u64>) -> TcpStream {
    let header = last_event_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
    let request =
        format!("GET /chat/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n{header}\r\n");
    let mut stream = send(addr, &request).await;
    read_until(&mut stream, "retry: 500").await;
    stream
}

/// Where, in `read`, the chat message `id` by ann saying `text` is; stamped with the server's
/// time by the binary's `ServerTime` interceptor.
fn message_at(read: &str, id: u64, text: &str) -> usize {
    let head = format!("id: {id}\ndata: ");
    let at = read
        .find(&head)
        .unwrap_or_else(|| panic!("{head:?} in {read:?}"));
    let data = read[at + head.len()..].lines().next().unwrap_or_default();
    let message: serde_json::Value = serde_json::from_str(data).expect("JSON data");
    assert_eq!(
        (&message["author"], &message["text"]),
        (&"ann".into(), &text.into())
    );
    assert!(message["serverTime"].is_u64(), "stamped: {data}");
    at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sample_processes_on_one_redis_are_one_chat() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let (_a, a) = sample(&redis).await;
    let (_b, b) = sample(&redis).await;
    one_chat(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sample_processes_on_a_redis_cluster_are_one_chat() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (_a, a) = sample_on("REDIS_CLUSTER_URLS", &cluster.seeds()).await;
    let (_b, b) = sample_on("REDIS_CLUSTER_URLS", &cluster.seeds()).await;
    one_chat(a, b).await;
}

/// What makes the sample's instances `a` and `b` one chat: a session and a stream on either, one
/// id sequence, every message once and in order, and a client moved between them with its last
/// id getting the rest once.
async fn one_chat(a: SocketAddr, b: SocketAddr) {
    // Logged in on A, the client is known on B too: the instances share SESSION_SECRET.
    let cookie = login(a).await;
    let mut on_b = events(b, &cookie, None).await;
    let first = post(a, &cookie, "posted to A").await;
    let second = post(b, &cookie, "posted to B").await;
    assert_eq!(second, first + 1, "one id sequence for both processes");
    let read = read_until(&mut on_b, "posted to B").await;
    // (Each event in its own chunk of the chunked body.)
    assert!(message_at(&read, first, "posted to A") < message_at(&read, second, "posted to B"));
    // The client moves to A with the last id it saw, and gets the rest once.
    let third = post(b, &cookie, "while moving").await;
    let mut on_a = events(a, &cookie, Some(second)).await;
    let read = read_until(&mut on_a, "while moving").await;
    message_at(&read, third, "while moving");
    assert!(!read.contains("posted to"), "nothing seen again: {read:?}");
}

/// Sends `POST /logout` to `addr` with `cookie`; the status line.
async fn logout(addr: SocketAddr, cookie: &str) -> String {
    let request = format!(
        "POST /logout HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    let mut stream = send(addr, &request).await;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("an answer");
    answer.lines().next().unwrap_or_default().to_owned()
}

/// The status line and headers of `GET /chat/events` on `addr` with `cookie`, the connection
/// closed after the head.
async fn events_head(addr: SocketAddr, cookie: &str) -> String {
    let request = format!(
        "GET /chat/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    let mut stream = send(addr, &request).await;
    read_until(&mut stream, "\r\n\r\n").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_process_ends_the_users_stream_on_the_other_and_its_cookie_with_it() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let (_a, a) = sample(&redis).await;
    let (_b, b) = sample(&redis).await;
    let cookie = login(a).await;
    let other = login(a).await;
    let mut on_b = events(b, &cookie, None).await;
    let mut other_on_b = events(b, &other, None).await;
    assert!(logout(a, &cookie).await.starts_with("HTTP/1.1 204"));
    // The logged-out session's stream on B ends (its chunked body's last chunk) with a retry,
    // within the 2 s the sample promises; nothing else could end it (its heartbeat is 15 s,
    // the session's expiry 12 h).
    let ended = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        read_until(&mut on_b, "\r\n0\r\n\r\n"),
    )
    .await
    .expect("the stream on B ends within 2 s of the logout on A");
    assert!(ended.contains("retry: "), "{ended:?}");
    // B knows of the logout: the old cookie is refused there, and on A.
    for addr in [b, a] {
        let head = events_head(addr, &cookie).await;
        assert!(head.starts_with("HTTP/1.1 401"), "{head}");
        assert!(!head.contains("text/event-stream"), "{head}");
    }
    // The user's other session goes on.
    let id = post(a, &other, "still here").await;
    let read = read_until(&mut other_on_b, "still here").await;
    assert!(read.contains(&format!("id: {id}\n")), "{read:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_fourth_chat_stream_on_one_process_gets_429_with_retry_after() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let (_a, a) = sample(&redis).await;
    let cookie = login(a).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(events(a, &cookie, None).await);
    }
    let head = events_head(a, &cookie).await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(head.to_lowercase().contains("retry-after: 5\r\n"), "{head}");
    assert!(!head.contains("text/event-stream"), "{head}");
    // One closed: its place is free again, once the server has seen it go.
    drop(open.pop());
    let request = format!("GET /chat/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n");
    let admitted = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut stream = send(a, &request).await;
            let head = read_until(&mut stream, "\r\n\r\n").await;
            if head.starts_with("HTTP/1.1 200") {
                return stream;
            }
            assert!(head.starts_with("HTTP/1.1 429"), "{head}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        admitted.is_ok(),
        "the closed stream's place never came back"
    );
}

/// `GET /chat/online` on `addr` with `cookie`: the body.
async fn online(addr: SocketAddr, cookie: &str) -> String {
    let request = format!(
        "GET /chat/online HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    let mut stream = send(addr, &request).await;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// Polls `GET /chat/online` on `addr` until it lists exactly `users` (`"ann","bob"`), before
/// `deadline`; how long it took from `since`.
async fn until_online(
    addr: SocketAddr,
    cookie: &str,
    users: &str,
    since: tokio::time::Instant,
    deadline: tokio::time::Instant,
) -> std::time::Duration {
    let wanted = format!(r#""online":[{users}]"#);
    loop {
        let body = online(addr, cookie).await;
        if body.contains(&wanted) {
            return since.elapsed();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never online: [{users}]; last {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_with_sigkill_leaves_the_chat_within_the_presence_expiry() {
    const EXPIRY: std::time::Duration = std::time::Duration::from_secs(2);
    let Some(redis) = Redis::start().await else {
        return;
    };
    let url = redis.url();
    let env = [
        ("REDIS_URL", url.as_str()),
        ("SESSION_SECRET", "two processes, one chat"),
        ("SAMPLE_USERS", "ann:ann-password,bob:bob-password"),
        ("PRESENCE_EXPIRY_SECS", "2"),
    ];
    let (mut doomed, a) = support::start(&env, "http").await;
    let (_b, b) = support::start(&env, "http").await;
    let (ann, bob) = (login_as(a, "ann").await, login_as(b, "bob").await);

    // Bob's page on B, with the arrivals and departures; ann's stream on A.
    let request =
        format!("GET /chat/events?presence=true HTTP/1.1\r\nHost: x\r\nCookie: {bob}\r\n\r\n");
    let mut watcher = send(b, &request).await;
    read_until(&mut watcher, r#"{"principal":"user:bob"}"#).await;
    let _ann_on_a = events(a, &ann, None).await;
    let start = tokio::time::Instant::now();
    until_online(b, &bob, r#""ann","bob""#, start, start + PATIENCE).await;

    // A dies without closing anything: its entries are all that tells Redis of ann.
    doomed.kill().await.expect("the sample is killed");
    let killed = tokio::time::Instant::now();
    // The documented bound is the expiry after A's last write (at or before the kill); the
    // margin is for the polls themselves on a busy machine.
    let margin = std::time::Duration::from_millis(1_500);
    let took = until_online(b, &bob, r#""bob""#, killed, killed + EXPIRY + margin).await;
    assert!(took <= EXPIRY + margin, "ann left after {took:?}");
    eprintln!("ann left the chat's presence {took:?} after the kill (expiry {EXPIRY:?})");

    // Bob's page heard of it once, after ann's arrival once: then nothing until the next message.
    let id = post(b, &bob, "after the kill").await;
    let read = read_until(&mut watcher, "after the kill").await;
    let join = "event: join\ndata: {\"principal\":\"user:ann\"}\n\n";
    let leave = "event: leave\ndata: {\"principal\":\"user:ann\"}\n\n";
    assert_eq!(read.matches(join).count(), 1, "{read:?}");
    assert_eq!(read.matches(leave).count(), 1, "{read:?}");
    let message = format!("id: {id}\n");
    assert!(read.find(join) < read.find(leave), "{read:?}");
    assert!(read.find(leave) < read.find(&message), "{read:?}");
}
