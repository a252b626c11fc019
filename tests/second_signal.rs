//! A second SIGTERM during the shutdown wait ends it at once, as most servers take it, instead
//! of waiting out the deadline. (A binary of its own: it signals its own process.)

mod support;

use std::time::Duration;

use nestish_core::{NestFactory, controller, get};
use support::Conn;

#[derive(Default)]
pub struct HangingController;

#[controller]
impl HangingController {
    /// A request that never finishes: the graceful shutdown would wait the whole deadline.
    #[get("hang")]
    async fn hang(&self) -> &'static str {
        std::future::pending::<()>().await;
        "never"
    }
}

#[tokio::test]
async fn a_second_sigterm_closes_everything_now() {
    // A deadline far beyond the test's patience: only the second signal can end the wait in time.
    let server = NestFactory::create()
        .shutdown_timeout(Duration::from_secs(600))
        .build()
        .expect("builds")
        .bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = server.local_addr();
    let handle = server.handle();
    let serving = tokio::spawn(server.serve());
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/hang", &[]).await;
    support::eventually("the request is in flight", || {
        handle.open_connections() == 1
    })
    .await;

    support::sigterm_self().await;
    // The first signal started the shutdown: the server no longer accepts.
    let mut refused = false;
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the first SIGTERM did not start the shutdown");
    assert_eq!(
        handle.open_connections(),
        1,
        "the hung request is still waited for"
    );

    support::sigterm_self().await;
    tokio::time::timeout(support::PATIENCE, serving)
        .await
        .expect("serve returns at the second SIGTERM, not at the deadline")
        .expect("no panic")
        .expect("no error");
    assert_eq!(handle.open_connections(), 0);
}
