//! Parameter attributes over a real socket: each source, and the 400 (413, 415) answers with
//! NestJS's body when a value is missing or does not parse.

mod support;

use nestish_core::{Bytes, HttpError, Json, RequestParts, controller, get, post};
use support::{Conn, Head, get, request};

#[derive(Default)]
pub struct ParamsController;

#[derive(serde::Deserialize)]
pub struct Filter {
    topic: String,
    limit: Option<u32>,
}

#[derive(serde::Deserialize, serde::Serialize)]
pub struct Order {
    item: String,
    quantity: u32,
}

#[controller("p")]
impl ParamsController {
    #[get("items/:id")]
    fn item(&self, #[param("id")] id: u32) -> String {
        format!("item {id}")
    }

    #[get("users/:user/posts/:post")]
    fn post(&self, #[param("post")] post: String, #[param("user")] user: String) -> String {
        format!("{user}/{post}")
    }

    #[get("files/*path")]
    fn file(&self, #[param("path")] path: String) -> String {
        path
    }

    #[get("page")]
    fn page(&self, #[query("page")] page: u32, #[query("sort")] sort: Option<String>) -> String {
        format!("page {page} sort {sort:?}")
    }

    #[get("filter")]
    async fn filter(&self, #[query] filter: Filter) -> String {
        format!("{} {:?}", filter.topic, filter.limit)
    }

    #[get("tenant")]
    fn tenant(
        &self,
        #[header("x-tenant")] tenant: String,
        #[header("x-region")] region: Option<String>,
    ) -> String {
        format!("{tenant} {region:?}")
    }

    #[get("resume")]
    fn resume(&self, #[last_event_id] last: Option<u64>) -> String {
        format!("{last:?}")
    }

    #[get("whoami")]
    fn whoami(&self, #[req] req: &RequestParts) -> String {
        let agent = req
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        format!("{} {} {agent}", req.method, req.uri)
    }

    #[post("orders")]
    fn order(&self, #[body] order: Json<Order>) -> Result<Json<Order>, HttpError> {
        if order.0.quantity == 0 {
            return Err(HttpError::bad_request("quantity must be positive"));
        }
        Ok(order)
    }

    #[post("echo")]
    async fn echo(&self, #[body] text: String) -> String {
        text.to_uppercase()
    }

    #[post("bytes")]
    fn bytes(&self, #[body] bytes: Bytes) -> String {
        bytes.len().to_string()
    }
}

/// NestJS's exact body for a 400 with `message`.
fn bad_request(message: &str) -> String {
    format!(
        r#"{{"statusCode":400,"message":{},"error":"Bad Request"}}"#,
        serde_json::Value::from(message)
    )
}

fn assert_rejected(head: &Head, body: &str, status: u16, message: &str) {
    assert_eq!(head.status, status, "{body}");
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(json["statusCode"], status);
    assert_eq!(json["message"], message);
}

#[tokio::test]
async fn path_parameters_are_parsed_by_name() {
    let addr = support::start().await;
    assert_eq!(get(addr, "/p/items/42").await.1, "item 42");
    assert_eq!(get(addr, "/p/users/ann/posts/7").await.1, "ann/7");
    let (head, body) = get(addr, "/p/items/forty-two").await;
    assert_eq!(
        body,
        bad_request("path parameter \"id\" is invalid: invalid digit found in string")
    );
    assert_eq!(head.status, 400);
}

#[tokio::test]
async fn path_parameters_are_percent_decoded_and_the_wildcard_takes_the_rest() {
    let addr = support::start().await;
    assert_eq!(get(addr, "/p/files/docs/a%20b.txt").await.1, "docs/a b.txt");
    assert_eq!(get(addr, "/p/users/%C3%A9mile/posts/1").await.1, "émile/1");
    let (head, body) = get(addr, "/p/users/%FF/posts/1").await;
    assert_rejected(
        &head,
        &body,
        400,
        "path parameter \"user\" is not valid UTF-8 once percent-decoded",
    );
    // The wildcard needs at least one segment.
    assert_eq!(get(addr, "/p/files").await.0.status, 404);
}

#[tokio::test]
async fn query_values_required_optional_and_whole() {
    let addr = support::start().await;
    assert_eq!(get(addr, "/p/page?page=2").await.1, "page 2 sort None");
    assert_eq!(
        get(addr, "/p/page?sort=name%20asc&page=3").await.1,
        "page 3 sort Some(\"name asc\")"
    );
    let (head, body) = get(addr, "/p/page?sort=x").await;
    assert_rejected(&head, &body, 400, "query parameter \"page\" is required");
    let (head, body) = get(addr, "/p/page?page=-1").await;
    assert_rejected(
        &head,
        &body,
        400,
        "query parameter \"page\" is invalid: invalid digit found in string",
    );

    assert_eq!(get(addr, "/p/filter?topic=a&limit=5").await.1, "a Some(5)");
    let (head, body) = get(addr, "/p/filter?limit=5").await;
    assert_rejected(
        &head,
        &body,
        400,
        "query string (\"filter\") is invalid: missing field `topic`",
    );
}

#[tokio::test]
async fn headers_required_and_optional() {
    let addr = support::start().await;
    let headers = ["X-Tenant: acme", "X-Region: eu"];
    let (_, body) = support::exchange(addr, "GET", "/p/tenant", &headers, "").await;
    assert_eq!(body, "acme Some(\"eu\")");

    let (head, body) = get(addr, "/p/tenant").await;
    assert_rejected(&head, &body, 400, "header \"x-tenant\" is required");
}

#[tokio::test]
async fn a_header_that_is_not_ascii_is_a_bad_request() {
    let addr = support::start().await;
    let (head, body) =
        support::exchange(addr, "GET", "/p/tenant", &["X-Tenant: caf\u{e9}"], "").await;
    assert_rejected(
        &head,
        &body,
        400,
        "header \"x-tenant\" is not visible ASCII",
    );
}

#[tokio::test]
async fn last_event_id_is_read_from_its_header() {
    let addr = support::start().await;
    assert_eq!(get(addr, "/p/resume").await.1, "None");
    let (_, body) = support::exchange(addr, "GET", "/p/resume", &["Last-Event-ID: 41"], "").await;
    assert_eq!(body, "Some(41)");
    // Empty, or only spaces: no last event id, as the spec reads an empty id.
    for empty in ["Last-Event-ID:", "Last-Event-ID:   "] {
        let (head, body) = support::exchange(addr, "GET", "/p/resume", &[empty], "").await;
        assert_eq!((head.status, body.as_str()), (200, "None"), "{empty:?}");
    }
    let (head, _) = support::exchange(addr, "GET", "/p/resume", &["Last-Event-ID: x"], "").await;
    assert_eq!(head.status, 400);
}

#[tokio::test]
async fn req_gives_the_request_parts() {
    let addr = support::start().await;
    let (_, body) =
        support::exchange(addr, "GET", "/p/whoami?x=1", &["User-Agent: tester"], "").await;
    assert_eq!(body, "GET /p/whoami?x=1 tester");
}

async fn post(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[&str],
    body: &str,
) -> (Head, String) {
    support::exchange(addr, "POST", path, headers, body).await
}

#[tokio::test]
async fn json_bodies_are_deserialised_and_checked() {
    let addr = support::start().await;
    let json = ["Content-Type: application/json"];
    let (head, body) = post(addr, "/p/orders", &json, r#"{"item":"tea","quantity":2}"#).await;
    assert_eq!(head.status, 200);
    assert_eq!(body, r#"{"item":"tea","quantity":2}"#);

    let (head, body) = post(addr, "/p/orders", &json, r#"{"item":"tea","quantity":0}"#).await;
    assert_rejected(&head, &body, 400, "quantity must be positive");

    let (head, body) = post(addr, "/p/orders", &json, r#"{"item":"tea"}"#).await;
    assert_eq!(head.status, 400);
    assert!(
        body.contains("the JSON body is invalid: missing field `quantity`"),
        "{body}"
    );

    let (head, body) = post(addr, "/p/orders", &["Content-Type: text/plain"], "{}").await;
    assert_rejected(
        &head,
        &body,
        415,
        "expected a body with Content-Type: application/json",
    );
}

#[tokio::test]
async fn text_and_byte_bodies() {
    let addr = support::start().await;
    assert_eq!(post(addr, "/p/echo", &[], "hello").await.1, "HELLO");
    assert_eq!(post(addr, "/p/bytes", &[], "12345").await.1, "5");
    let mut conn = Conn::open(addr).await;
    conn.stream_bytes(b"POST /p/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n\xff\xfe")
        .await;
    let head = conn.head().await;
    let body = conn.sized_body(&head).await;
    assert_rejected(&head, &body, 400, "the request body is not valid UTF-8");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let addr = support::start_with(nestish_core::NestFactory::create().body_limit(16)).await;
    assert_eq!(
        post(addr, "/p/bytes", &[], "0123456789abcdef").await.1,
        "16"
    );
    let (head, body) = post(addr, "/p/bytes", &[], "0123456789abcdefg").await;
    assert_rejected(
        &head,
        &body,
        413,
        "the request body is larger than 16 bytes",
    );

    // Without a Content-Length (chunked), the limit holds while reading.
    let mut conn = Conn::open(addr).await;
    conn.stream_bytes(
        b"POST /p/bytes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
    )
    .await;
    let head = conn.head().await;
    let body = conn.sized_body(&head).await;
    assert_rejected(
        &head,
        &body,
        413,
        "the request body is larger than 16 bytes",
    );
}

#[tokio::test]
async fn other_methods_still_get_405() {
    let addr = support::start().await;
    assert_eq!(request(addr, "DELETE", "/p/items/1").await.0.status, 405);
}
