//! What a stream's admission costs: an idle SSE stream with a principal, an expiry and a
//! per-route cap, its principal holding three streams (the sample's chat cap), holds at most
//! 0.25 KiB more of the server's heap than the same guarded idle stream without them (issue
//! 27's bound), measured with a counting allocator over real sockets. (A principal with a single
//! stream costs more, its table entry unshared: about 340 bytes here; see the guide's "Tenants,
//! limits and deploys".)

#[path = "support/heap.rs"]
mod heap;
mod support;

use std::time::Duration;

use futures::Stream;
use nestish_core::{
    Guard, GuardRequest, HttpError, MessageEvent, NestFactory, controller, sse, use_guards,
};
use support::{Conn, eventually};

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

/// Names the principal of the `X-User` header, with an expiry an hour away.
pub struct ExpiringGuard;

impl Guard for ExpiringGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let user = request.header("x-user").unwrap_or_default().to_owned();
        request.principal(format!("user:{user}"));
        request.credentials_expire_in(Duration::from_secs(3_600));
        Ok(())
    }
}

/// Lets every request through, naming nothing: a guarded stream as it was before admission.
pub struct NoopGuard;

impl Guard for NoopGuard {
    async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        Ok(())
    }
}

#[derive(Default)]
pub struct IdleController;

#[controller("idle")]
impl IdleController {
    #[sse("plain")]
    #[use_guards(NoopGuard)]
    fn plain(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::pending()
    }

    #[sse("admitted", max_per_principal = 3)]
    #[use_guards(ExpiringGuard)]
    fn admitted(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::pending()
    }
}

const STREAMS: usize = 300;

/// Opens `STREAMS` streams of `path`, three per user; the heap they grew per stream, and
/// the connections, to close.
async fn per_stream(addr: std::net::SocketAddr, path: &str) -> (usize, Vec<Conn>) {
    // Warm-up: whatever is allocated once (a route's first stream, a table's first entries).
    let before = heap::live();
    let mut conns = Vec::with_capacity(STREAMS);
    for i in 0..STREAMS {
        let user = format!("X-User: u{:05}", i / 3);
        let conn = support::open_stream(addr, path, &[&user])
            .await
            .expect("admitted");
        conns.push(conn);
    }
    (heap::grown_since(before) / STREAMS, conns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn an_admitted_idle_stream_of_a_user_with_three_holds_at_most_a_quarter_kib_more() {
    let server = support::serve(
        NestFactory::create()
            .controllers::<(IdleController,)>()
            .provide(ExpiringGuard)
            .provide(NoopGuard),
    )
    .await;
    let warm = support::open_stream(server.addr, "/idle/admitted", &["X-User: warm"])
        .await
        .expect("admitted");
    let (plain, conns) = per_stream(server.addr, "/idle/plain").await;
    drop(conns);
    eventually("the plain streams are dropped", || {
        server.handle.open_streams() == 1
    })
    .await;
    let (admitted, conns) = per_stream(server.addr, "/idle/admitted").await;
    eprintln!("idle stream: {plain} bytes; admitted: {admitted} bytes");
    assert!(
        admitted <= plain + 256,
        "an admitted stream holds {admitted} bytes, a plain one {plain}"
    );
    drop((conns, warm));
}
