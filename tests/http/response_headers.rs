//! Responses that carry headers: plain tuples, `Sse` for streams, `HttpError::with_header`.

use futures::stream::{self, Stream};
use nestish_core::header::{CACHE_CONTROL, HeaderValue, LOCATION, RETRY_AFTER, SET_COOKIE};
use nestish_core::testing::Test;
use nestish_core::{
    HeaderMap, HttpError, Json, MessageEvent, Sse, StatusCode, controller, get, post, sse,
};

#[derive(Default)]
pub struct HeadersController;

#[controller("headers")]
impl HeadersController {
    #[post("login")]
    fn login(&self) -> (StatusCode, HeaderMap, &'static str) {
        let mut headers = HeaderMap::new();
        headers.insert(
            SET_COOKIE,
            HeaderValue::from_static("session=s1; HttpOnly; Path=/"),
        );
        headers.insert(LOCATION, HeaderValue::from_static("/chat"));
        (StatusCode::SEE_OTHER, headers, "logged in")
    }

    #[get("json")]
    fn json(&self) -> (HeaderMap, Json<[u8; 2]>) {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        (headers, Json([1, 2]))
    }

    #[get("busy")]
    fn busy(&self) -> Result<&'static str, HttpError> {
        Err(HttpError::too_many_requests("slow down")
            .with_header(RETRY_AFTER, HeaderValue::from_static("30")))
    }

    #[sse("events")]
    fn events(&self) -> Sse<impl Stream<Item = MessageEvent> + Send + 'static> {
        Sse::new(stream::iter([MessageEvent::new("hi")]))
            .header(SET_COOKIE, HeaderValue::from_static("seen=1; Path=/"))
    }

    #[sse("maybe/:n")]
    async fn maybe(
        &self,
        #[param("n")] n: u32,
    ) -> Result<Sse<impl Stream<Item = MessageEvent> + Send + 'static>, HttpError> {
        if n == 0 {
            return Err(HttpError::gone("no stream 0"));
        }
        Ok(Sse::new(stream::iter([MessageEvent::new(n.to_string())])).status(StatusCode::OK))
    }
}

async fn app() -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(HeadersController,)>()
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_plain_response_carries_its_status_and_headers() {
    let app = app().await;
    let login = app.post("/headers/login").await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        login.header("set-cookie"),
        Some("session=s1; HttpOnly; Path=/")
    );
    assert_eq!(login.header("location"), Some("/chat"));
    assert_eq!(login.text(), "logged in");
    let json = app.get("/headers/json").await;
    assert_eq!(json.header("cache-control"), Some("max-age=60"));
    assert_eq!(
        json.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(json.text(), "[1,2]");
}

#[tokio::test]
async fn an_error_carries_its_headers() {
    let app = app().await;
    let busy = app.get("/headers/busy").await;
    busy.assert_error(StatusCode::TOO_MANY_REQUESTS, "slow down");
    assert_eq!(busy.header("retry-after"), Some("30"));
}

#[tokio::test]
async fn a_stream_carries_its_headers_beside_the_event_stream_ones() {
    let app = app().await;
    let mut events = app.sse("/headers/events").await;
    assert_eq!(events.header("set-cookie"), Some("seen=1; Path=/"));
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    assert_eq!(events.next_event().await.data, "hi");
    let mut events = app.sse("/headers/maybe/3").await;
    assert_eq!(events.next_event().await.data, "3");
    let gone = app.sse("/headers/maybe/0").await;
    assert_eq!(gone.status(), StatusCode::GONE);
}
