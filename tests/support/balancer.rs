//! A TCP load balancer in front of two instances of an app (A and B), as a deploy sees them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Each new connection goes to the instance chosen now: A until [`Balancer::send_new_to_b`]
/// or [`Balancer::move_to_b`]. It relays bytes and nothing else, so what reaches a client is
/// what the instance wrote, and a connection ends when the instance ends it (see [`relay`]).
pub struct Balancer {
    pub addr: SocketAddr,
    to_b: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Balancer {
    pub async fn start(a: SocketAddr, b: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("its address");
        let to_b = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (choice, connections) = (Arc::clone(&to_b), Arc::clone(&open));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let backend = if choice.load(Ordering::SeqCst) { b } else { a };
                let relay = tokio::spawn(async move {
                    if let Ok(server) = tokio::net::TcpStream::connect(backend).await {
                        relay(client, server).await;
                    }
                });
                lock(&connections).push(relay.abort_handle());
            }
        });
        Self { addr, to_b, open }
    }

    /// New connections go to B; those open to A stay, for A to end: a deploy that takes A out
    /// of the pool before it shuts A down.
    pub fn send_new_to_b(&self) {
        self.to_b.store(true, Ordering::SeqCst);
    }

    /// New connections go to B, and those open to A are cut, as when A vanishes.
    pub fn move_to_b(&self) {
        self.send_new_to_b();
        for relay in lock(&self.open).drain(..) {
            relay.abort();
        }
    }
}

/// Relays bytes both ways until either side closes, then closes both, as an L4 balancer drops
/// a connection its backend closed: a client never keeps a connection to an instance that is
/// gone, nor sends a request into one.
async fn relay(mut client: tokio::net::TcpStream, mut server: tokio::net::TcpStream) {
    let (mut from_client, mut to_client) = client.split();
    let (mut from_server, mut to_server) = server.split();
    tokio::select! {
        _ = tokio::io::copy(&mut from_client, &mut to_server) => {}
        _ = tokio::io::copy(&mut from_server, &mut to_client) => {}
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
