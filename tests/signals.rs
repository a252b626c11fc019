//! SIGTERM starts the same graceful shutdown as the handle: open streams end cleanly and `serve`
//! returns. (A binary of its own: it signals its own process.)

mod support;

use futures::Stream;
use futures::stream;
use nestish_core::{MessageEvent, NestFactory, controller, sse};
use support::Conn;

#[derive(Default)]
pub struct SilentController;

#[controller]
impl SilentController {
    #[sse("silent", keep_alive = false)]
    fn silent(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }
}

#[tokio::test]
async fn sigterm_ends_open_streams_cleanly_and_serve_returns() {
    // Signal handling is on by default; the handlers are installed before `serve` accepts.
    let server = NestFactory::create()
        .build()
        .expect("builds")
        .bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = server.local_addr();
    let handle = server.handle();
    let serving = tokio::spawn(server.serve());
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/silent", &[]).await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));

    support::sigterm_self().await;

    let last = conn.chunk().await.expect("a last chunk");
    support::assert_drained(std::str::from_utf8(&last).expect("UTF-8"), "");
    assert_eq!(
        conn.chunk().await,
        None,
        "the stream ended with its last chunk"
    );
    tokio::time::timeout(support::PATIENCE, serving)
        .await
        .expect("serve returns after SIGTERM")
        .expect("no panic")
        .expect("no error");
    assert_eq!(handle.open_connections(), 0);
}
