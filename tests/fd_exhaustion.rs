//! Out of file descriptors, the server still answers: each client it cannot serve gets a 503 at
//! once (not silence), the episode is logged once, and when descriptors free up it serves again.
//! (A binary of its own: it lowers the process's RLIMIT_NOFILE.)

mod support;

use std::time::Duration;

use nestish_core::{NestFactory, controller, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[derive(Default)]
pub struct OkController;

#[controller]
impl OkController {
    #[get("ok")]
    fn ok(&self) -> &'static str {
        "ok"
    }
}

fn open_descriptors() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count() as u64
}

/// Sets the soft limit on open descriptors; the old one.
fn set_descriptor_limit(soft: u64) -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let lowered = libc::rlimit {
            rlim_cur: soft,
            rlim_max: limit.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lowered), 0);
    }
    limit
}

fn restore_descriptor_limit(limit: &libc::rlimit) {
    // SAFETY: as above.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, limit), 0);
    }
}

/// Sends a request that keeps the connection open, and reads the status line's code.
async fn request(stream: &mut TcpStream) -> Option<u16> {
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok()?;
    let mut head = [0; 12];
    tokio::time::timeout(support::PATIENCE, stream.read_exact(&mut head))
        .await
        .expect("an answer, not silence")
        .ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

// A current-thread runtime: the server's tasks run on this thread, under the subscriber set here.
#[tokio::test]
async fn out_of_descriptors_every_client_gets_an_answer_and_service_resumes() {
    const SERVED: u64 = 4;
    const CLIENTS: usize = 20;
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    let running = support::serve(NestFactory::create()).await;
    // The clients' sockets exist before the limit is lowered: only the server's accepts need
    // new descriptors from here on.
    let sockets: Vec<TcpSocket> = (0..CLIENTS + 2)
        .map(|_| TcpSocket::new_v4().expect("a socket"))
        .collect();
    let mut sockets = sockets.into_iter();
    let old = set_descriptor_limit(open_descriptors() + SERVED);

    let mut statuses = Vec::new();
    let mut kept = Vec::new();
    for socket in sockets.by_ref().take(CLIENTS) {
        let mut stream = socket.connect(running.addr).await.expect("connects");
        statuses.push(request(&mut stream).await);
        kept.push(stream);
    }
    let served = statuses.iter().filter(|s| **s == Some(200)).count();
    let refused = statuses.iter().filter(|s| **s == Some(503)).count();
    assert!(served >= 1, "{statuses:?}");
    assert!(refused >= 1, "nobody was refused: {statuses:?}");
    assert_eq!(
        served + refused,
        CLIENTS,
        "a client got no answer: {statuses:?}"
    );

    // The served clients leave: their descriptors free up, and a new client is served.
    drop(kept);
    support::eventually("the connections close", || {
        running.handle.open_connections() == 0
    })
    .await;
    let mut resumed = None;
    for socket in sockets {
        let mut stream = socket.connect(running.addr).await.expect("connects");
        resumed = request(&mut stream).await;
        if resumed == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    restore_descriptor_limit(&old);
    assert_eq!(resumed, Some(200));

    // The episode is logged once, however many clients it refused, and its end with their count.
    let episode = captured.lines(&["out of file descriptors"]);
    assert_eq!(episode.len(), 1, "{episode:#?}");
    let recovered = captured.lines(&["file descriptors available again"]);
    assert_eq!(recovered.len(), 1, "{recovered:#?}");
    let answered: usize = recovered[0]
        .split("answered=")
        .nth(1)
        .and_then(|count| count.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("a count: {}", recovered[0]));
    // Every 503 of the first round, and any the new clients got before one was served.
    assert!(answered >= refused, "{answered} counted, {refused} refused");
}
