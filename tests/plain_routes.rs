//! Plain routes over a real socket: each response kind, routing and NestJS's error bodies.

mod support;

use nestish_core::{
    Body, Html, HttpError, Json, Response, StatusCode, controller, delete, get, patch, post, put,
};
use support::{get, request};

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

#[tokio::test]
async fn text_routes_are_plain_utf8() {
    let addr = support::start().await;
    for (path, text) in [
        ("/api/static-str", "plain text"),
        ("/api/string", "owned text"),
    ] {
        let (head, body) = get(addr, path).await;
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(body, text);
    }
}

#[tokio::test]
async fn html_and_json_set_their_content_types() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/api/html").await;
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(body, "<p>hi</p>");

    let (head, body) = get(addr, "/api/json").await;
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(body, r#"{"items":[1,2],"ok":true}"#);
}

#[tokio::test]
async fn each_method_reaches_its_own_route() {
    let addr = support::start().await;

    let (head, body) = request(addr, "POST", "/api/items").await;
    assert_eq!((head.status, body.as_str()), (201, "42"));

    let (head, body) = request(addr, "PUT", "/api/items").await;
    assert_eq!((head.status, body.as_str()), (200, "replaced"));

    let (head, body) = request(addr, "PATCH", "/api/items").await;
    assert_eq!(head.status, 400);
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        body,
        r#"{"statusCode":400,"message":"\"name\" must be a \"string\"","error":"Bad Request"}"#
    );

    let (head, body) = request(addr, "DELETE", "/api/items").await;
    assert_eq!((head.status, body.as_str()), (200, ""));
}

#[tokio::test]
async fn a_response_is_sent_as_built() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/api/response").await;
    assert_eq!(head.status, 418);
    assert_eq!(head.header("x-custom"), Some("yes"));
    assert_eq!(body, "custom");
}

#[tokio::test]
async fn paths_are_normalised_like_nest() {
    let addr = support::start().await;
    assert_eq!(get(addr, "/api").await.1, "prefix root");
    assert_eq!(get(addr, "/api/").await.1, "prefix root");
    assert_eq!(get(addr, "/api/string/").await.1, "owned text");
    assert_eq!(get(addr, "/").await.1, "home");
    assert_eq!(get(addr, "/api/json?x=1").await.0.status, 200);
}

#[tokio::test]
async fn unknown_paths_get_nests_404_body() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/nope?page=2").await;
    assert_eq!(head.status, 404);
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        body,
        r#"{"statusCode":404,"message":"Cannot GET /nope?page=2","error":"Not Found"}"#
    );
    // A path is matched by segments: a longer or shorter one is another path.
    assert_eq!(get(addr, "/api/items/1").await.0.status, 404);
    assert_eq!(get(addr, "/ap").await.0.status, 404);
}

#[tokio::test]
async fn a_known_path_with_another_method_gets_405_and_allow() {
    let addr = support::start().await;
    let (head, body) = request(addr, "POST", "/api/json").await;
    assert_eq!(head.status, 405);
    assert_eq!(head.header("allow"), Some("GET, HEAD"));
    assert_eq!(
        body,
        r#"{"statusCode":405,"message":"Cannot POST /api/json","error":"Method Not Allowed"}"#
    );
    let (head, _) = request(addr, "GET", "/api/items").await;
    assert_eq!(head.status, 405);
    assert_eq!(head.header("allow"), Some("POST, PUT, PATCH, DELETE"));
}

#[tokio::test]
async fn head_on_a_get_route_sends_headers_only() {
    let addr = support::start().await;
    let (head, body) = request(addr, "HEAD", "/api/static-str").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("10"));
    assert_eq!(body, "");
}
