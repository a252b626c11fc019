//! Plain routes over a real socket: each response kind, routing and NestJS's error bodies.

use crate::support;

use nestish_core::testing::{Test, TestApp};
use nestish_core::{
    Body, Html, HttpError, Json, Response, StatusCode, controller, delete, get, patch, post, put,
};
use support::Conn;

#[derive(Default)]
pub struct PlainController {
    greeting: String,
}

#[controller("api")]
impl PlainController {
    #[get("static-str")]
    fn static_str(&self) -> &'static str {
        "plain text"
    }

    #[get("string")]
    fn string(&self) -> String {
        format!("{}owned text", self.greeting)
    }

    #[get("html")]
    fn html(&self) -> Html<String> {
        Html("<p>hi</p>".to_owned())
    }

    #[get("json")]
    async fn json(&self) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "items": [1, 2], "ok": true }))
    }

    #[post("items")]
    fn create(&self) -> (StatusCode, Json<u32>) {
        (StatusCode::CREATED, Json(42))
    }

    #[put("items")]
    fn replace(&self) -> Result<&'static str, HttpError> {
        Ok("replaced")
    }

    #[patch("items")]
    fn update(&self) -> Result<&'static str, HttpError> {
        Err(HttpError::bad_request("\"name\" must be a \"string\""))
    }

    #[delete("items")]
    fn remove(&self) {}

    #[get("response")]
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from("custom"));
        *response.status_mut() = StatusCode::IM_A_TEAPOT;
        response
            .headers_mut()
            .insert("x-custom", "yes".parse().expect("valid header value"));
        response
    }

    #[get]
    fn root(&self) -> &'static str {
        "prefix root"
    }
}

#[derive(Default)]
pub struct RootController;

#[controller]
impl RootController {
    #[get("/")]
    fn home(&self) -> &'static str {
        "home"
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(PlainController, RootController)>()
        .start()
        .await
        .expect("the plain app starts")
}

#[tokio::test]
async fn text_routes_are_plain_utf8() {
    let app = app().await;
    for (path, text) in [
        ("/api/static-str", "plain text"),
        ("/api/string", "owned text"),
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(answer.text(), text);
    }
}

#[tokio::test]
async fn html_and_json_set_their_content_types() {
    let app = app().await;
    let html = app.get("/api/html").await;
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(html.text(), "<p>hi</p>");

    let json = app.get("/api/json").await;
    assert_eq!(
        json.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(json.text(), r#"{"items":[1,2],"ok":true}"#);
}

#[tokio::test]
async fn each_method_reaches_its_own_route() {
    let app = app().await;

    let created = app.post("/api/items").await;
    assert_eq!(
        (created.status(), created.text().as_str()),
        (StatusCode::CREATED, "42")
    );

    let replaced = app.put("/api/items").await;
    assert_eq!(
        (replaced.status(), replaced.text().as_str()),
        (StatusCode::OK, "replaced")
    );

    app.patch("/api/items")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "\"name\" must be a \"string\"");

    let removed = app.delete("/api/items").await;
    assert_eq!(
        (removed.status(), removed.text().as_str()),
        (StatusCode::OK, "")
    );
}

#[tokio::test]
async fn a_response_is_sent_as_built() {
    let app = app().await;
    let answer = app.get("/api/response").await;
    assert_eq!(answer.status(), 418);
    assert_eq!(answer.header("x-custom"), Some("yes"));
    assert_eq!(answer.text(), "custom");
}

#[tokio::test]
async fn paths_are_normalised_like_nest() {
    let app = app().await;
    assert_eq!(app.get("/api").await.text(), "prefix root");
    assert_eq!(app.get("/api/").await.text(), "prefix root");
    assert_eq!(app.get("/api/string/").await.text(), "owned text");
    assert_eq!(app.get("/").await.text(), "home");
    assert_eq!(app.get("/api/json?x=1").await.status(), 200);
}

#[tokio::test]
async fn unknown_paths_get_nests_404_body() {
    let app = app().await;
    app.get("/nope?page=2")
        .await
        .assert_error(StatusCode::NOT_FOUND, "Cannot GET /nope?page=2");
    // A path is matched by segments: a longer or shorter one is another path.
    assert_eq!(app.get("/api/items/1").await.status(), 404);
    assert_eq!(app.get("/ap").await.status(), 404);
}

#[tokio::test]
async fn a_known_path_with_another_method_gets_405_and_allow() {
    let app = app().await;
    let refused = app.post("/api/json").await;
    refused.assert_error(StatusCode::METHOD_NOT_ALLOWED, "Cannot POST /api/json");
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));
    let refused = app.get("/api/items").await;
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.header("allow"), Some("POST, PUT, PATCH, DELETE"));
}

/// On the wire, by hand: a client library reads no body after a HEAD whatever the server
/// writes, so only the bytes show that none was written.
#[tokio::test]
async fn head_on_a_get_route_sends_headers_only() {
    let app = app().await;
    let mut conn = Conn::open(app.addr()).await;
    conn.send("HEAD", "/api/static-str", &[]).await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("10"));
    // The next bytes on the connection are the next answer's status line, not a body.
    conn.send("GET", "/api/static-str", &[]).await;
    let next = conn.head().await;
    assert_eq!(next.status, 200);
    assert_eq!(conn.sized_body(&next).await, "plain text");
}
