//! The sample app, served on an ephemeral port and logged in over the wire.
//!
//! Not a part of `support`: linking `nestish_sample` brings its controllers into the binary's
//! `inventory`, and every other test binary builds its app from the controllers it links. Only
//! the binaries that serve the sample declare it (`mod sample_support;`).

use std::net::SocketAddr;

use crate::support::{self, Conn};

/// The sample (`nestish_sample::app()`, its default users), logged in as `ann`: its address and
/// the session cookie (`session=<token>`) to send with each request.
pub async fn logged_in() -> (SocketAddr, String) {
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
    let mut conn = Conn::open(addr).await;
    conn.send_body(
        "POST",
        "/login",
        &["Content-Type: application/json"],
        r#"{"name":"ann","password":"ann-password"}"#,
    )
    .await;
    let head = conn.head().await;
    assert_eq!(head.status, 204);
    let cookie = head
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    (addr, cookie)
}
