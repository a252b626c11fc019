//! Running an app in production: health checks whose readiness turns 503 on shutdown, built-in
//! routes that cannot hide a controller's, and the client's address on every request.

use crate::support;

use http_body_util::{BodyExt, Empty};
use nestish_core::{
    ConnectionInfo, Guard, GuardRequest, Guarded, HttpError, NestFactory, RequestParts, StatusCode,
    controller, get, use_guards,
};
use tower::ServiceExt;

#[derive(Default)]
pub struct OperatedController;

/// A route for clients on this machine only.
#[derive(Default)]
pub struct LocalController;

#[controller("op")]
impl LocalController {
    /// What the guard saw.
    #[get("local")]
    #[use_guards(LoopbackOnly)]
    fn local(&self, peer: Guarded<Peer>) -> String {
        peer.0.0.to_string()
    }
}

/// The client's address, as [`LoopbackOnly`] found it.
#[derive(Clone, Debug)]
pub struct Peer(std::net::SocketAddr);

/// Lets in clients on this machine only, by the address of their connection.
pub struct LoopbackOnly;

impl Guard for LoopbackOnly {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.peer_addr() {
            Some(peer) if peer.ip().is_loopback() => {
                request.insert(Peer(peer));
                Ok(())
            }
            _ => Err(HttpError::forbidden("local clients only")),
        }
    }
}

#[controller("op")]
impl OperatedController {
    #[get("ok")]
    fn ok(&self) -> &'static str {
        "ok"
    }

    /// The client's address, as the connection sees it.
    #[get("whoami")]
    fn whoami(&self, #[req] req: &RequestParts) -> String {
        req.extensions
            .get::<ConnectionInfo>()
            .map_or_else(|| "unknown".to_owned(), |c| c.peer_addr().to_string())
    }
}

#[tokio::test]
async fn readiness_turns_503_when_a_shutdown_starts_and_liveness_does_not() {
    let builder = NestFactory::create()
        .controllers::<(OperatedController,)>()
        .health_routes("/health");
    let handle = builder.handle();
    let app = builder.build().expect("the app builds");
    let get = |path: &'static str| {
        let app = app.clone();
        async move {
            let request = http::Request::get(path)
                .body(Empty::<bytes::Bytes>::new())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            )
        }
    };
    let up = serde_json::json!({ "server": { "status": "up" } });
    assert_eq!(
        get("/health/ready").await,
        (
            StatusCode::OK,
            serde_json::json!({ "status": "ok", "info": up, "error": {}, "details": up })
        )
    );
    handle.shutdown();
    let down = serde_json::json!({ "server": { "status": "down", "message": "shutting down" } });
    assert_eq!(
        get("/health/ready").await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "error", "info": {}, "error": down, "details": down })
        )
    );
    assert_eq!(get("/health/live").await.0, StatusCode::OK);
}

#[test]
fn a_builtin_route_that_a_controller_declares_too_fails_build() {
    let error = NestFactory::create()
        .controllers::<(OperatedController,)>()
        .metrics_route("/op/ok")
        .build()
        .expect_err("/op/ok is taken");
    assert!(
        error.to_string().starts_with(
            "the built-in route {/op/ok, GET} conflicts with OperatedController::ok ("
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_handler_sees_its_clients_address_on_either_protocol() {
    let app = nestish_core::testing::Test::create_testing_module()
        .controllers::<(OperatedController,)>()
        .start()
        .await
        .expect("the app starts");
    let mut conn = support::Conn::open(app.addr()).await;
    let local = conn.stream.local_addr().expect("a local address");
    conn.send("GET", "/op/whoami", &[]).await;
    let head = conn.head().await;
    assert_eq!(conn.sized_body(&head).await, local.to_string());

    let mut h2 = support::h2c::connect(app.addr()).await;
    let (head, mut body) = h2.get("/op/whoami").await;
    assert_eq!(head.status, 200);
    let mut text = String::new();
    while let Some(data) = support::h2c::next_data(&mut body).await {
        text.push_str(std::str::from_utf8(&data).expect("UTF-8"));
    }
    let seen: std::net::SocketAddr = text.parse().expect("an address");
    assert!(
        seen.ip().is_loopback() && seen.port() != app.addr().port(),
        "{seen}"
    );
}

#[tokio::test]
async fn a_guard_reads_the_clients_address() {
    let app = nestish_core::testing::Test::create_testing_module()
        .controllers::<(LocalController,)>()
        .provide(LoopbackOnly)
        .start()
        .await
        .expect("the app starts");
    let seen: std::net::SocketAddr = app
        .get("/op/local")
        .await
        .text()
        .parse()
        .expect("an address");
    assert!(
        seen.ip().is_loopback() && seen.port() != app.addr().port(),
        "{seen}"
    );

    // In-process, no server recorded a client: the guard refuses.
    let app = NestFactory::create()
        .controllers::<(LocalController,)>()
        .provide(LoopbackOnly)
        .build()
        .expect("the app builds");
    let request = http::Request::get("/op/local")
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// One app of several sharing a port, bound with `reuse_port`.
async fn bound_on(
    port: u16,
    reuse_port: bool,
) -> Result<nestish_core::Server, nestish_core::Error> {
    NestFactory::create()
        .controllers::<(OperatedController,)>()
        .handle_signals(false)
        .reuse_port(reuse_port)
        .build()
        .expect("the app builds")
        .bind(("127.0.0.1", port))
        .await
}

#[tokio::test]
async fn two_processes_worth_of_apps_share_one_port_with_reuse_port_and_both_accept() {
    let first = support::run(bound_on(0, true).await.expect("the first app binds"));
    let port = first.addr.port();
    // Without the option the port is taken, and the error names the address.
    let refused = bound_on(port, false)
        .await
        .expect_err("a second listener without SO_REUSEPORT is refused");
    assert!(
        matches!(refused, nestish_core::Error::Bind { .. })
            && refused.to_string().contains(&port.to_string()),
        "{refused}"
    );
    let second = support::run(bound_on(port, true).await.expect("the second app binds"));
    assert_eq!(second.addr, first.addr);

    // The kernel spreads new connections by a hash of the client's port: open connections one
    // by one until each app has accepted one (the chance that 200 all go to one is 2^-199), each
    // time waiting until one of them has counted it.
    let mut held = Vec::new();
    while first.handle.open_connections() == 0 || second.handle.open_connections() == 0 {
        assert!(held.len() < 200, "200 connections all went to one app");
        held.push(tokio::net::TcpStream::connect(first.addr).await.unwrap());
        let deadline = tokio::time::Instant::now() + support::PATIENCE;
        while first.handle.open_connections() + second.handle.open_connections() < held.len() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "a connection was not accepted"
            );
            tokio::task::yield_now().await;
        }
    }
    // And each answers requests on its own connections.
    let (head, body) = support::get(first.addr, "/op/ok").await;
    assert_eq!((head.status, body.as_str()), (200, "ok"));
}
