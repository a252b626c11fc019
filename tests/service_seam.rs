//! The app as a `tower::Service`, run three ways besides nestish's own server: mounted inside an
//! axum `Router`, served by a hyper-util server written here, and called in-process with
//! `oneshot`. In each, a route answers, an SSE stream sends its events, and the app's
//! `AppHandle` ends the stream cleanly.

mod support;

use bytes::Bytes;
use futures::{Stream, StreamExt, stream};
use http_body_util::{BodyExt, Empty};
use nestish_core::{App, MessageEvent, controller, get, sse};
use support::http1::{self, ends_cleanly, read_until};
use tokio::net::TcpListener;
use tower::ServiceExt;

#[derive(Default)]
pub struct SeamController;

#[controller("seam")]
impl SeamController {
    #[get("plain")]
    fn plain(&self) -> &'static str {
        "plain"
    }

    #[sse("events", keep_alive = false, shutdown_event = "bye")]
    fn events(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("one")]).chain(stream::pending())
    }
}

/// The app of this binary: the sample's controllers (linked for the body test) and this file's.
fn app() -> App {
    nestish_sample::app()
        .expect("the default users")
        .handle_signals(false)
        .build()
        .expect("the app builds")
}

/// `GET path` with no body, for in-process calls.
fn request(path: &str) -> http::Request<Empty<Bytes>> {
    http::Request::get(path)
        .body(Empty::<Bytes>::new())
        .expect("a valid request")
}

/// Reads the seam stream's first event, shuts the app down through its handle, and checks the
/// stream's clean end after its shutdown event.
async fn first_event_then_clean_end<B>(body: &mut B, handle: &nestish_core::AppHandle)
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Debug,
{
    assert_eq!(read_until(body, "data: one\n\n").await, "\ndata: one\n\n");
    assert_eq!(handle.open_streams(), 1);
    handle.shutdown();
    support::assert_drained(
        &read_until(body, "\n\n").await,
        "event: shutdown\ndata: bye\n\n",
    );
    assert!(ends_cleanly(body).await, "the stream ended with an error");
}

/// The same checks over a socket, wherever the app is mounted (`prefix`).
async fn check_over_socket(
    addr: std::net::SocketAddr,
    prefix: &str,
    app_handle: &nestish_core::AppHandle,
) {
    let response = http1::get(addr, &format!("{prefix}/seam/plain"), &[]).await;
    assert_eq!(response.status(), 200);
    let text = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    assert_eq!(text, "plain");

    let response = http1::get(addr, &format!("{prefix}/seam/nowhere"), &[]).await;
    assert_eq!(response.status(), 404);

    let response = http1::get(addr, &format!("{prefix}/seam/events"), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    first_event_then_clean_end(&mut body, app_handle).await;
    support::eventually("the stream is no longer counted", || {
        app_handle.open_streams() == 0
    })
    .await;
}

#[tokio::test]
async fn mounted_inside_an_axum_router() {
    let app = app();
    let handle = app.handle();
    let router = axum::Router::new()
        .route("/axum", axum::routing::get(|| async { "from axum" }))
        .nest_service("/api", app);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });

    let response = http1::get(addr, "/axum", &[]).await;
    assert_eq!(response.status(), 200);
    check_over_socket(addr, "/api", &handle).await;
}

#[tokio::test]
async fn served_by_a_hand_written_hyper_util_server() {
    let app = app();
    let handle = app.handle();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                let _ = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    check_over_socket(addr, "", &handle).await;
}

#[tokio::test]
async fn called_in_process_with_oneshot() {
    let app = app();
    let handle = app.handle();
    let response = app
        .clone()
        .oneshot(request("/seam/plain"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 200);
    let text = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    assert_eq!(text, "plain");

    let response = app
        .clone()
        .oneshot(request("/seam/events"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    first_event_then_clean_end(&mut body, &handle).await;
    drop(body);
    assert_eq!(handle.open_streams(), 0);
}

#[tokio::test]
async fn a_request_body_from_another_server_reaches_a_body_argument() {
    // The sample's login and chat take JSON bodies: they arrive from any body type, here `Full`.
    let app = app();
    let json = |path: &str, body: &'static [u8]| {
        http::Request::post(path)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(Bytes::from_static(body)))
            .expect("a valid request")
    };
    let login = app
        .clone()
        .oneshot(json(
            "/login",
            br#"{"name":"ann","password":"ann-password"}"#,
        ))
        .await
        .expect("infallible");
    assert_eq!(login.status(), 204);
    let cookie = login.headers()["set-cookie"].to_str().expect("ASCII");
    let session = cookie
        .split(';')
        .next()
        .expect("session=<token>")
        .to_owned();
    let mut request = json("/chat/messages", br#"{"text":"hello"}"#);
    request.headers_mut().insert(
        "cookie",
        http::HeaderValue::from_str(&session).expect("a header value"),
    );
    let response = app.oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), 201);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    assert_eq!(body, r#"{"id":1}"#);
}

#[tokio::test]
async fn an_app_of_chosen_controllers_serves_those_alone() {
    // The sample's controllers are linked into this binary but not chosen: their providers are
    // not needed, and their routes are not served.
    let app = nestish_core::NestFactory::create()
        .controllers::<(SeamController,)>()
        .handle_signals(false)
        .build()
        .expect("the chosen controllers need no provider");
    let plain = app
        .clone()
        .oneshot(request("/seam/plain"))
        .await
        .expect("infallible");
    assert_eq!(plain.status(), 200);
    let chat = app.oneshot(request("/chat")).await.expect("infallible");
    assert_eq!(chat.status(), 404);
}

#[test]
fn choosing_a_type_without_a_controller_fails_build_naming_it() {
    pub struct NotAController;
    let error = nestish_core::NestFactory::create()
        .controllers::<(SeamController, NotAController)>()
        .build()
        .expect_err("NotAController has no routes");
    assert!(error.to_string().contains("NotAController"), "{error}");
}
