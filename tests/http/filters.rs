//! Exception filters over real sockets: NestJS's resolution (route → controller → global, first
//! match wins), a user's error type caught on a plain and on an SSE route (before any SSE header
//! and inside the stream), an uncaught one answered 500 and logged, nestish's own 400, 401,
//! 404, 405, 408, 413 and 415 answers and a panic's 500 in the app's format, a catch-all filter
//! (NestJS's `@Catch()`), a missing filter at build time, and one swapped in the testing module.

use crate::support;

use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::filter::{AnyError, ErrorHost, ErrorReply, Exception, ExceptionFilter};
use nestish_core::testing::Test;
use nestish_core::{
    Error, Guard, GuardRequest, HttpError, Json, MessageEvent, NestFactory, StatusCode, controller,
    get, post, sse, use_filters, use_guards,
};
use serde_json::{Value, json};
use support::logs;

/// The app's own error, returned by its routes.
#[derive(Debug)]
pub struct NoSuchOrder(u64);

impl std::fmt::Display for NoSuchOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no order {}", self.0)
    }
}

impl std::error::Error for NoSuchOrder {}
impl Exception for NoSuchOrder {}

/// An error no filter catches.
#[derive(Debug)]
pub struct LedgerLocked;

impl std::fmt::Display for LedgerLocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the ledger is locked")
    }
}

impl std::error::Error for LedgerLocked {}
impl Exception for LedgerLocked {}

/// Catches `NoSuchOrder`: 404 in the app's format.
pub struct OrderFilter;

impl ExceptionFilter for OrderFilter {
    type Error = NoSuchOrder;

    fn catch(&self, error: &NoSuchOrder, host: &ErrorHost<'_>) -> ErrorReply {
        ErrorReply::json(
            StatusCode::NOT_FOUND,
            &json!({
                "code": "no_such_order",
                "order": error.0,
                "path": host.path(),
                "route": host.route(),
                "in_stream": host.in_stream(),
            }),
        )
    }
}

/// Catches `HttpError`, saying which filter it is: one per level.
macro_rules! http_filter {
    ($name:ident, $by:literal) => {
        pub struct $name;

        impl ExceptionFilter for $name {
            type Error = HttpError;

            fn catch(&self, error: &HttpError, host: &ErrorHost<'_>) -> ErrorReply {
                let mut reply = ErrorReply::json(
                    error.status(),
                    &json!({
                        "by": $by,
                        "status": error.status().as_u16(),
                        "message": error.message(),
                        "path": host.path(),
                    }),
                );
                for (name, value) in error.headers() {
                    reply = reply.header(name.clone(), value.clone());
                }
                reply
            }
        }
    };
}

http_filter!(RouteHttp, "route");
http_filter!(ControllerHttp, "controller");
http_filter!(GlobalHttp, "global");

/// Lets in requests with the cookie `session=ok`.
pub struct SessionGuard;

impl Guard for SessionGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.cookie("session") {
            Some("ok") => Ok(()),
            _ => Err(HttpError::unauthorized("log in first")),
        }
    }
}

#[derive(Default)]
pub struct OrdersController;

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub item: String,
}

#[controller("orders")]
#[use_filters(ControllerHttp, OrderFilter)]
impl OrdersController {
    #[get(":id")]
    fn one(&self, #[param("id")] id: u64) -> Result<Json<u64>, NoSuchOrder> {
        if id == 1 {
            Ok(Json(1))
        } else {
            Err(NoSuchOrder(id))
        }
    }

    #[get("teapot/:id")]
    #[use_filters(RouteHttp)]
    fn teapot(&self, #[param("id")] id: u64) -> Result<&'static str, HttpError> {
        Err(HttpError::new(
            StatusCode::IM_A_TEAPOT,
            format!("teapot {id}"),
        ))
    }

    #[get("gone")]
    fn gone(&self) -> Result<&'static str, HttpError> {
        Err(HttpError::gone("sold out"))
    }

    #[get("locked")]
    fn locked(&self) -> Result<&'static str, LedgerLocked> {
        Err(LedgerLocked)
    }

    #[post]
    fn create(&self, #[body] order: Json<Order>) -> String {
        order.0.item
    }

    #[sse(":id/updates")]
    fn updates(
        &self,
        #[param("id")] id: u64,
    ) -> Result<impl Stream<Item = Result<MessageEvent, NoSuchOrder>> + Send + 'static, NoSuchOrder>
    {
        if id == 0 {
            return Err(NoSuchOrder(0));
        }
        let events = stream::iter([Ok(MessageEvent::new("packed")), Err(NoSuchOrder(id))]);
        Ok(events.chain(stream::pending()))
    }
}

#[derive(Default)]
pub struct PlainController;

#[controller("plain")]
impl PlainController {
    #[get("gone")]
    fn gone(&self) -> Result<&'static str, HttpError> {
        Err(HttpError::gone("sold out"))
    }

    #[get("order/:id")]
    fn order(&self, #[param("id")] id: u64) -> Result<&'static str, NoSuchOrder> {
        Err(NoSuchOrder(id))
    }

    #[get("private")]
    #[use_guards(SessionGuard)]
    fn private(&self) -> &'static str {
        "secret"
    }

    #[get("panics")]
    async fn panics(&self) -> &'static str {
        panic!("a bug in the handler")
    }

    #[sse("locked")]
    fn locked(&self) -> impl Stream<Item = Result<MessageEvent, LedgerLocked>> + Send + 'static {
        stream::iter([Ok(MessageEvent::new("open")), Err(LedgerLocked)]).chain(stream::pending())
    }
}

async fn app() -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(OrdersController, PlainController)>()
        .provide(OrderFilter)
        .provide(RouteHttp)
        .provide(ControllerHttp)
        .provide(GlobalHttp)
        .provide(SessionGuard)
        .configure(|app| {
            app.use_global_filter::<GlobalHttp>()
                .body_limit(64)
                .body_timeouts(Duration::from_secs(5), Duration::from_millis(200))
        })
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_route_s_filter_comes_first_then_the_controller_s_then_the_global_one() {
    let app = app().await;
    let route = app.get("/orders/teapot/3").await;
    assert_eq!(route.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(
        route.json::<Value>(),
        json!({"by": "route", "status": 418, "message": "teapot 3", "path": "/orders/teapot/3"})
    );
    let controller = app.get("/orders/gone").await;
    assert_eq!(controller.status(), StatusCode::GONE);
    assert_eq!(controller.json::<Value>()["by"], "controller");
    let global = app.get("/plain/gone").await;
    assert_eq!(global.status(), StatusCode::GONE);
    assert_eq!(global.json::<Value>()["by"], "global");
    assert_eq!(
        global.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn a_user_error_type_is_caught_by_its_filter_and_an_ok_is_untouched() {
    let app = app().await;
    assert_eq!(app.get("/orders/1").await.text(), "1");
    let missing = app.get("/orders/7").await;
    assert_eq!(
        missing.assert_status(StatusCode::NOT_FOUND).json::<Value>(),
        json!({
            "code": "no_such_order",
            "order": 7,
            "path": "/orders/7",
            "route": "/orders/:id",
            "in_stream": false,
        })
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_error_no_filter_catches_answers_nestjs_500_and_is_logged() {
    let (logs, _guard) = logs::capture(tracing::Level::ERROR);
    let app = app().await;
    // `NoSuchOrder` is caught on `OrdersController` only; `LedgerLocked` nowhere.
    for path in ["/plain/order/7", "/orders/locked"] {
        app.get(path)
            .await
            .assert_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    }
    support::eventually("both errors are logged", || {
        logs.lines(&["caught by no exception filter", "no order 7"])
            .len()
            == 1
            && logs
                .lines(&["caught by no exception filter", "the ledger is locked"])
                .len()
                == 1
    })
    .await;
    // A caught one is not.
    app.get("/orders/8").await;
    app.get("/orders/1").await;
    assert!(logs.lines(&["no order 8"]).is_empty());
}

#[tokio::test]
async fn on_an_sse_route_a_refusal_before_headers_is_the_filter_s_answer() {
    let app = app().await;
    let refused = support::open_stream(app.addr(), "/orders/0/updates", &[])
        .await
        .err()
        .expect("refused before any SSE header");
    assert_eq!(refused.0.status, 404);
    let body: Value = serde_json::from_str(&refused.1).unwrap();
    assert_eq!(body["code"], "no_such_order");
    assert_eq!(body["in_stream"], false);
}

#[tokio::test]
async fn an_error_inside_a_stream_ends_it_with_the_filter_s_data() {
    let app = app().await;
    let mut conn = support::open_stream(app.addr(), "/orders/5/updates", &[])
        .await
        .expect("a stream");
    let expected = format!(
        "\ndata: packed\n\nevent: error\ndata: {}\n\n",
        json!({
            "code": "no_such_order",
            "order": 5,
            "path": null,
            "route": "/orders/:id/updates",
            "in_stream": true,
        })
    );
    assert_eq!(conn.chunked_body().await, expected);
}

#[tokio::test]
async fn nestish_s_own_errors_go_through_the_global_filter() {
    let app = app().await;
    let by_global = |response: &nestish_core::testing::TestResponse, status: u16| {
        assert_eq!(response.status().as_u16(), status, "{}", response.text());
        let body = response.json::<Value>();
        assert_eq!(body["by"], "global", "{body}");
        assert_eq!(body["status"], status);
        body
    };
    let not_found = by_global(&app.get("/nowhere").await, 404);
    assert_eq!(not_found["message"], "Cannot GET /nowhere");
    assert_eq!(not_found["path"], "/nowhere");
    let not_allowed = app.delete("/plain/gone").await;
    by_global(&not_allowed, 405);
    assert_eq!(not_allowed.header("allow"), Some("GET, HEAD"));
    let bad_param = by_global(&app.get("/plain/order/seven").await, 400);
    assert_eq!(bad_param["path"], "/plain/order/seven");
    let refused = by_global(&app.get("/plain/private").await, 401);
    assert_eq!(refused["message"], "log in first");
    // A panic is answered 500, in the app's format too.
    let panicked = by_global(&app.get("/plain/panics").await, 500);
    assert_eq!(panicked["message"], "Internal server error");
    // The body's errors, on the controller with its own `HttpError` filter.
    let controller = |response: nestish_core::testing::TestResponse, status: u16| {
        assert_eq!(response.status().as_u16(), status, "{}", response.text());
        assert_eq!(response.json::<Value>()["by"], "controller");
    };
    controller(app.post("/orders").text("plain text").await, 415);
    let big = json!({ "item": "x".repeat(100) });
    controller(app.post("/orders").json(&big).await, 413);
    // A body announced and never sent: 408 after the idle timeout.
    let mut conn = support::Conn::open(app.addr()).await;
    conn.send(
        "POST",
        "/orders",
        &["Content-Type: application/json", "Content-Length: 20"],
    )
    .await;
    let head = conn.head().await;
    assert_eq!(head.status, 408);
    let body: Value = serde_json::from_str(&conn.sized_body(&head).await).unwrap();
    assert_eq!(body["by"], "controller");
}

#[tokio::test]
async fn a_filter_named_but_not_provided_fails_the_build() {
    let built = NestFactory::create()
        .controllers::<(OrdersController,)>()
        .provide(OrderFilter)
        .provide(RouteHttp)
        .build();
    let Err(error) = built else {
        panic!("the build fails");
    };
    let Error::MissingFilter { filter, path, .. } = &error else {
        panic!("{error}");
    };
    assert!(filter.ends_with("ControllerHttp"), "{filter}");
    assert!(path.starts_with("/orders"), "{path}");
    assert!(error.to_string().contains("ControllerHttp"), "{error}");
}

/// Stands in for `OrderFilter`: a missing order is gone, in plain text.
pub struct GoneOrders;

impl ExceptionFilter for GoneOrders {
    type Error = NoSuchOrder;

    fn catch(&self, error: &NoSuchOrder, _: &ErrorHost<'_>) -> ErrorReply {
        ErrorReply::text(StatusCode::GONE, format!("order {} is gone", error.0))
    }
}

#[tokio::test]
async fn the_testing_module_swaps_a_filter_for_one_of_another_type() {
    // `OrderFilter` itself is not provided: the stand-in is enough.
    let app = Test::create_testing_module()
        .controllers::<(OrdersController,)>()
        .override_filter::<OrderFilter>(GoneOrders)
        .provide(RouteHttp)
        .provide(ControllerHttp)
        .start()
        .await
        .unwrap();
    let gone = app.get("/orders/9").await;
    assert_eq!(
        gone.assert_status(StatusCode::GONE).text(),
        "order 9 is gone"
    );
    assert_eq!(
        gone.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

/// Catches every error (NestJS's `@Catch()` with no type), saying what it caught.
pub struct Everything;

impl ExceptionFilter for Everything {
    type Error = AnyError;

    fn catch(&self, error: &AnyError, host: &ErrorHost<'_>) -> ErrorReply {
        ErrorReply::json(
            error.status(),
            &json!({
                "caught": error.to_string(),
                "http": error.http_error().is_some(),
                "locked": error.downcast_ref::<LedgerLocked>().is_some(),
                "status": error.status().as_u16(),
                "path": host.path(),
            }),
        )
    }
}

#[tokio::test]
async fn a_catch_all_filter_catches_every_error_the_filters_before_it_leave() {
    let app = Test::create_testing_module()
        .controllers::<(OrdersController, PlainController)>()
        .provide(OrderFilter)
        .provide(RouteHttp)
        .provide(ControllerHttp)
        .provide(Everything)
        .provide(SessionGuard)
        .configure(nestish_core::AppBuilder::use_global_filter::<Everything>)
        .start()
        .await
        .unwrap();
    // The controller's filter of one type comes first.
    let typed = app.get("/orders/7").await;
    assert_eq!(
        typed.assert_status(StatusCode::NOT_FOUND).json::<Value>()["code"],
        "no_such_order"
    );
    // An exception no other filter catches, on a controller with filters and on one without.
    let locked = app.get("/orders/locked").await;
    assert_eq!(
        locked
            .assert_status(StatusCode::INTERNAL_SERVER_ERROR)
            .json::<Value>(),
        json!({
            "caught": "the ledger is locked",
            "http": false,
            "locked": true,
            "status": 500,
            "path": "/orders/locked",
        })
    );
    let order = app.get("/plain/order/7").await;
    let order = order
        .assert_status(StatusCode::INTERNAL_SERVER_ERROR)
        .json::<Value>();
    assert_eq!(
        (&order["caught"], &order["http"]),
        (&json!("no order 7"), &json!(false))
    );
    // nestish's own errors and a route's `HttpError`, each with its own status.
    for (path, status, caught) in [
        ("/nowhere", 404, "Cannot GET /nowhere"),
        ("/plain/order/seven", 400, "invalid digit found in string"),
        ("/plain/gone", 410, "sold out"),
        ("/plain/panics", 500, "Internal server error"),
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.status().as_u16(),
            status,
            "{path}: {}",
            response.text()
        );
        let body = response.json::<Value>();
        assert_eq!(
            (&body["http"], &body["status"]),
            (&json!(true), &json!(status)),
            "{body}"
        );
        assert_eq!(body["path"], path);
        // An `HttpError` displays as `404 Not Found: <message>`.
        let text = body["caught"].as_str().unwrap_or_default();
        assert!(text.ends_with(caught), "{body}");
    }
    // Inside a stream: the `event: error` that ends it carries the catch-all's body.
    let mut conn = support::open_stream(app.addr(), "/plain/locked", &[])
        .await
        .expect("a stream");
    let expected = format!(
        "\ndata: open\n\nevent: error\ndata: {}\n\n",
        json!({
            "caught": "the ledger is locked",
            "http": false,
            "locked": true,
            "status": 500,
            "path": null,
        })
    );
    assert_eq!(conn.chunked_body().await, expected);
}
