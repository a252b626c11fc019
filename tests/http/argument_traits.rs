//! Types of one's own as route arguments, by implementing the trait of each argument source
//! (`FromParam`, `FromQueryParam`, `FromQuery`, `FromHeader`, `FromCookie`, `FromLastEventId`),
//! alone and as an `Option`, over a real socket.

use futures::stream::{self, Stream, StreamExt};
use nestish_core::extract::{
    FromCookie, FromHeader, FromLastEventId, FromParam, FromQuery, FromQueryParam,
};
use nestish_core::header::HeaderValue;
use nestish_core::testing::{Test, TestApp};
use nestish_core::{HttpError, MessageEvent, StatusCode, controller, get, sse};

/// An order number written `ord-42`.
#[derive(schemars::JsonSchema)]
pub struct OrderNumber(u64);

impl FromParam for OrderNumber {
    fn from_param(value: &str, name: &str) -> Result<Self, HttpError> {
        value
            .strip_prefix("ord-")
            .and_then(|digits| digits.parse().ok())
            .map(OrderNumber)
            .ok_or_else(|| HttpError::bad_request(format!("{name} is written ord-<number>")))
    }
}

/// A sort order: `asc` unless the query says `desc`.
#[derive(Debug, schemars::JsonSchema)]
pub enum Order {
    Asc,
    Desc,
}

impl FromQueryParam for Order {
    fn from_query_param(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
        match value {
            None | Some("asc") => Ok(Order::Asc),
            Some("desc") => Ok(Order::Desc),
            Some(_) => Err(HttpError::bad_request(format!("{name} is asc or desc"))),
        }
    }
}

/// The keys of the query string, in order.
#[derive(schemars::JsonSchema)]
pub struct Keys(Vec<String>);

impl FromQuery for Keys {
    fn from_query(query: &str, _name: &str) -> Result<Self, HttpError> {
        let pairs = query.split('&').filter(|pair| !pair.is_empty());
        Ok(Keys(
            pairs
                .map(|pair| pair.split('=').next().unwrap_or("").to_owned())
                .collect(),
        ))
    }
}

/// A tenant, from a header a proxy sets, in lower case; the raw value need not be text.
#[derive(schemars::JsonSchema)]
pub struct Tenant(String);

impl FromHeader for Tenant {
    fn from_header(value: Option<&HeaderValue>, name: &str) -> Result<Self, HttpError> {
        let value = value.ok_or_else(|| HttpError::forbidden(format!("{name} is required")))?;
        Ok(Tenant(
            String::from_utf8_lossy(value.as_bytes()).to_lowercase(),
        ))
    }
}

/// A session id: 32 hexadecimal digits.
#[derive(schemars::JsonSchema)]
pub struct SessionId(String);

impl FromCookie for SessionId {
    fn from_cookie(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
        match value {
            Some(id) if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(SessionId(id.to_owned()))
            }
            _ => Err(HttpError::unauthorized(format!("no valid {name} cookie"))),
        }
    }
}

/// A position written `<epoch>-<seq>`, as the stream below writes its ids.
#[derive(schemars::JsonSchema)]
pub struct Position(u64);

impl FromLastEventId for Position {
    fn from_last_event_id(value: Option<&HeaderValue>) -> Result<Self, HttpError> {
        let bad = || HttpError::bad_request("Last-Event-ID is <epoch>-<seq>");
        let text = value.and_then(|v| v.to_str().ok()).ok_or_else(bad)?;
        let (_epoch, seq) = text.split_once('-').ok_or_else(bad)?;
        seq.parse().map(Position).map_err(|_| bad())
    }
}

#[derive(Default)]
pub struct OwnController;

#[controller("own")]
impl OwnController {
    #[get("orders/:number")]
    fn order(
        &self,
        #[param("number")] number: OrderNumber,
        #[query("order")] order: Order,
        #[query("then")] then: Option<Order>,
    ) -> String {
        format!("{} {order:?} {then:?}", number.0)
    }

    #[get("keys")]
    fn keys(&self, #[query] keys: Keys) -> String {
        keys.0.join(",")
    }

    #[get("tenant")]
    fn tenant(
        &self,
        #[header("x-tenant")] tenant: Tenant,
        #[header("x-parent")] parent: Option<Tenant>,
    ) -> String {
        format!("{} {}", tenant.0, parent.map_or("-".to_owned(), |p| p.0))
    }

    #[get("session")]
    fn session(
        &self,
        #[cookie("session")] session: SessionId,
        #[cookie("previous")] previous: Option<SessionId>,
    ) -> String {
        format!("{} {}", &session.0[..4], previous.is_some())
    }

    #[sse("feed")]
    fn feed(
        &self,
        #[last_event_id] after: Option<Position>,
    ) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let next = after.map_or(0, |position| position.0 + 1);
        stream::iter(next..3).map(|seq| {
            let event = MessageEvent::new(format!("tick {seq}"));
            event
                .id(format!("1-{seq}"))
                .expect("an id without line breaks")
        })
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(OwnController,)>()
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_path_parameter_and_query_parameters_of_ones_own_type() {
    let app = app().await;
    assert_eq!(app.get("/own/orders/ord-42").await.text(), "42 Asc None");
    assert_eq!(
        app.get("/own/orders/ord-7?order=desc&then=asc")
            .await
            .text(),
        "7 Desc Some(Asc)"
    );
    app.get("/own/orders/42")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "number is written ord-<number>");
    // The `Option` of a type of one's own still refuses what the type refuses.
    app.get("/own/orders/ord-1?then=sideways")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "then is asc or desc");
    assert_eq!(app.get("/own/keys?b=1&a=2&c").await.text(), "b,a,c");
}

#[tokio::test]
async fn a_header_and_a_cookie_of_ones_own_type() {
    let app = app().await;
    assert_eq!(
        app.get("/own/tenant")
            .header("x-tenant", "ACME")
            .await
            .text(),
        "acme -"
    );
    assert_eq!(
        app.get("/own/tenant")
            .header("x-tenant", "Acme")
            .header("x-parent", "Holding")
            .await
            .text(),
        "acme holding"
    );
    app.get("/own/tenant")
        .await
        .assert_error(StatusCode::FORBIDDEN, "x-tenant is required");

    let id = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        app.get("/own/session").cookie("session", id).await.text(),
        "0123 false"
    );
    app.get("/own/session")
        .cookie("session", "short")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "no valid session cookie");
    app.get("/own/session")
        .header("cookie", format!("session={id}; previous=nope"))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "no valid previous cookie");
}

#[tokio::test]
async fn a_last_event_id_of_ones_own_type_resumes_the_stream() {
    let app = app().await;
    let mut all = app.sse("/own/feed").await;
    assert_eq!(all.next_event().await.data, "tick 0");
    let mut rest = app.sse("/own/feed").last_event_id("1-1").await;
    let event = rest.next_event().await;
    assert_eq!(
        (event.data.as_str(), event.id.as_deref()),
        ("tick 2", Some("1-2"))
    );
    assert!(rest.end().await.is_empty());
    app.get("/own/feed")
        .header("last-event-id", "seven")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "Last-Event-ID is <epoch>-<seq>");
}
