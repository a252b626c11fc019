//! Streams that end with their credentials, and caps on open streams, over real sockets:
//! - a stream whose credentials expire ends (after the grace) with a `retry:`, and the client,
//!   reconnecting with its `Last-Event-ID`, is authenticated again and gets what it missed;
//! - revoking a principal or a session ends its streams, and no one else's: in process, and
//!   from one instance to another through a real `redis-server`;
//! - a principal or an address past its cap gets 429 with `Retry-After` and the app's error
//!   body before any SSE header, and a stream that ends in any way (client gone, its own end,
//!   an error, a revocation) gives its place back.

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use futures::Stream;
use nestish_core::hub::{Hub, Subscription};
use nestish_core::{
    Guard, GuardRequest, HttpError, MessageEvent, NestFactory, StreamRate, controller, inject, sse,
    use_guards,
};
use support::redis::Redis;
use support::{Conn, PATIENCE, eventually};

/// Names the principal of the `X-User` header; `X-Session` adds a revocation key, and
/// `X-Expires-Ms` an expiry that many milliseconds from now.
pub struct PrincipalGuard;

impl Guard for PrincipalGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let user = request
            .header("x-user")
            .ok_or_else(|| HttpError::unauthorized("who?"))?
            .to_owned();
        request.principal(format!("user:{user}"));
        if let Some(session) = request.header("x-session").map(str::to_owned) {
            request.revocable_as(format!("session:{session}"));
        }
        if let Some(ms) = request
            .header("x-expires-ms")
            .and_then(|ms| ms.parse().ok())
        {
            request.credentials_expire_in(Duration::from_millis(ms));
        }
        Ok(())
    }
}

/// The guarded streams.
pub struct FeedController {
    hub: std::sync::Arc<Hub>,
}

#[controller("t")]
#[use_guards(PrincipalGuard)]
impl FeedController {
    #[inject]
    fn new(hub: std::sync::Arc<Hub>) -> Self {
        Self { hub }
    }

    /// The hub's `feed` topic, resumed by `Last-Event-ID`.
    #[sse("feed")]
    fn feed(&self, #[last_event_id] seen: Option<u64>) -> Subscription {
        self.hub.subscribe("feed", seen)
    }

    /// Never ends by itself; two per principal.
    #[sse("capped", max_per_principal = 2)]
    fn capped(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::pending()
    }

    /// One event then its end; one per principal.
    #[sse("once", max_per_principal = 1)]
    fn once(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::iter([MessageEvent::new("only")])
    }

    /// An error at once; one per principal.
    #[sse("failing", max_per_principal = 1)]
    fn failing(&self) -> impl Stream<Item = Result<MessageEvent, HttpError>> + Send + 'static {
        futures::stream::iter([Err(HttpError::forbidden("no more"))])
    }
}

/// A stream without guards, capped by client address app-wide.
#[derive(Default)]
pub struct OpenController;

#[controller("open")]
impl OpenController {
    #[sse]
    fn open(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::pending()
    }
}

/// An instance on `hub`, with no grace after an expiry.
async fn instance(hub: &Hub) -> support::Running {
    let builder = NestFactory::create()
        .controllers::<(FeedController, OpenController)>()
        .provide(hub.clone())
        .provide(PrincipalGuard)
        .credential_grace(Duration::ZERO)
        .max_streams_per_address(Some(3));
    support::serve(builder).await
}

/// An open stream, read as a client reads it.
struct Events {
    conn: Conn,
    buf: String,
}

impl Events {
    /// Opens `path` with the header lines given; the refusal's status, `Retry-After` and body
    /// if it is not a stream.
    async fn open(
        addr: SocketAddr,
        path: &str,
        headers: &[&str],
    ) -> Result<Self, (u16, Option<String>, String)> {
        let conn = support::open_stream(addr, path, headers)
            .await
            .map_err(|(head, body)| {
                let retry_after = head.header("retry-after").map(str::to_owned);
                (head.status, retry_after, body)
            })?;
        Ok(Self {
            conn,
            buf: String::new(),
        })
    }

    /// Reads until `wanted` has come; what came.
    async fn until(&mut self, wanted: &str) -> &str {
        while !self.buf.contains(wanted) {
            let chunk = self
                .conn
                .chunk()
                .await
                .unwrap_or_else(|| panic!("ended before {wanted:?}: {:?}", self.buf));
            self.buf.push_str(&String::from_utf8(chunk).expect("UTF-8"));
        }
        &self.buf
    }

    /// Reads to the stream's end; what came.
    async fn read_to_end(&mut self) -> &str {
        while let Some(chunk) = self.conn.chunk().await {
            self.buf.push_str(&String::from_utf8(chunk).expect("UTF-8"));
        }
        &self.buf
    }
}

/// Asserts that `text` ends with a lone `retry:` field: how a stream that ends for its
/// credentials tells its client to come back.
fn ends_with_retry(text: &str) {
    let last = text
        .trim_end_matches('\n')
        .rsplit('\n')
        .next()
        .unwrap_or("");
    assert!(
        text.ends_with("\n\n")
            && last
                .strip_prefix("retry: ")
                .is_some_and(|ms| ms.parse::<u64>().is_ok()),
        "no retry at the end: {text:?}"
    );
}

#[tokio::test]
async fn a_stream_whose_credentials_expire_ends_with_a_retry_and_resumes_with_nothing_lost() {
    let hub = Hub::new();
    let server = instance(&hub).await;
    let first = hub.publish("feed", "before").await.unwrap();
    let expiring = ["X-User: ann", "X-Expires-Ms: 300", "Last-Event-ID: 0"];
    let mut stream = Events::open(server.addr, "/t/feed", &expiring)
        .await
        .expect("admitted");
    stream.until("data: before").await;
    // Ends by itself at the expiry (no grace here), with a retry after the last event it had.
    let text = stream.read_to_end().await.to_owned();
    ends_with_retry(&text);
    assert!(text.contains(&format!("id: {first}\n")), "{text:?}");
    // Published while the client is away; the reconnection is authenticated again and resumes.
    let missed = hub.publish("feed", "while away").await.unwrap();
    let seen = format!("Last-Event-ID: {first}");
    let mut again = Events::open(server.addr, "/t/feed", &["X-User: ann", &seen])
        .await
        .expect("authenticated again");
    let text = again.until("data: while away").await;
    assert!(text.contains(&format!("id: {missed}\n")), "{text:?}");
    assert!(!text.contains("data: before"), "nothing twice: {text:?}");
    // Without credentials the reconnection is refused, as the guard says.
    let refused = Events::open(server.addr, "/t/feed", &[]).await.err();
    assert_eq!(refused.map(|(status, ..)| status), Some(401));
}

/// Revokes `key` through `revoking` and checks that `victim` ends with a retry while
/// `bystander` still gets events from `hub`.
async fn revoked(
    revoking: &Hub,
    key: &str,
    victim: &mut Events,
    bystander: &mut Events,
    hub: &Hub,
) {
    revoking.revoke(key).await.expect("revoked");
    let text = tokio::time::timeout(PATIENCE, victim.read_to_end())
        .await
        .expect("the revoked stream ends")
        .to_owned();
    ends_with_retry(&text);
    hub.publish("feed", "after the revocation").await.unwrap();
    bystander.until("data: after the revocation").await;
}

#[tokio::test]
async fn revoking_a_principal_or_a_session_ends_its_streams_and_no_others_in_process() {
    let hub = Hub::new();
    let server = instance(&hub).await;
    let addr = server.addr;
    let mut ann = Events::open(addr, "/t/feed", &["X-User: ann"])
        .await
        .unwrap();
    let mut bob = Events::open(addr, "/t/feed", &["X-User: bob", "X-Session: s1"])
        .await
        .unwrap();
    revoked(&hub, "user:ann", &mut ann, &mut bob, &hub).await;
    let mut carl = Events::open(addr, "/t/feed", &["X-User: carl"])
        .await
        .unwrap();
    revoked(&hub, "session:s1", &mut bob, &mut carl, &hub).await;
    eventually("the revoked streams are dropped", || {
        server.handle.open_streams() == 1
    })
    .await;
    // This instance's alone, through its handle: nothing left of ann's or bob's to end.
    assert_eq!(server.handle.revoke("user:ann"), 0);
    assert_eq!(server.handle.revoke("user:carl"), 1);
}

#[tokio::test]
async fn a_revocation_on_one_instance_ends_the_streams_on_another_through_redis() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let connect = || async {
        Hub::redis(redis.url())
            .connect()
            .await
            .expect("the hub connects to redis-server")
    };
    let (hub_a, hub_b) = (connect().await, connect().await);
    let (_a, b) = (instance(&hub_a).await, instance(&hub_b).await);
    let mut ann_on_b = Events::open(b.addr, "/t/feed", &["X-User: ann", "X-Session: s1"])
        .await
        .unwrap();
    let mut bob_on_b = Events::open(b.addr, "/t/feed", &["X-User: bob"])
        .await
        .unwrap();
    // Revoked on A, which holds none of ann's streams: B ends them.
    revoked(&hub_a, "session:s1", &mut ann_on_b, &mut bob_on_b, &hub_a).await;
}

/// The app's 429 for a principal's cap of `cap`.
fn too_many(cap: u32, per: &str) -> (u16, Option<String>, String) {
    let body = format!(
        r#"{{"statusCode":429,"message":"too many open streams: at most {cap} per {per}","error":"Too Many Requests"}}"#
    );
    (429, Some("5".to_owned()), body)
}

#[tokio::test]
async fn a_principal_past_its_cap_gets_429_before_any_sse_header_and_a_gone_stream_frees_its_place()
{
    let hub = Hub::new();
    let server = instance(&hub).await;
    let addr = server.addr;
    let first = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .unwrap();
    let _second = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .unwrap();
    let third = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .err();
    assert_eq!(third, Some(too_many(2, "user")));
    // Another principal has places of its own.
    let _bob = Events::open(addr, "/t/capped", &["X-User: bob"])
        .await
        .unwrap();
    // The client of the first goes away: its place is free once its stream is dropped.
    drop(first);
    eventually("the gone client's stream is dropped", || {
        server.handle.open_streams() == 2
    })
    .await;
    let _again = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stream_that_ends_fails_or_is_revoked_gives_its_place_back() {
    let hub = Hub::new();
    let server = instance(&hub).await;
    let addr = server.addr;
    // One at a time: each ends by itself (its end, an error), so the next is admitted.
    for _ in 0..3 {
        let mut once = Events::open(addr, "/t/once", &["X-User: ann"])
            .await
            .unwrap();
        once.read_to_end().await;
        eventually("the ended stream is dropped", || {
            server.handle.open_streams() == 0
        })
        .await;
    }
    for _ in 0..3 {
        let mut failing = Events::open(addr, "/t/failing", &["X-User: ann"])
            .await
            .unwrap();
        assert!(failing.read_to_end().await.contains("event: error"));
        eventually("the failed stream is dropped", || {
            server.handle.open_streams() == 0
        })
        .await;
    }
    let mut capped = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .unwrap();
    let _full = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .unwrap();
    assert_eq!(server.handle.revoke("user:ann"), 2);
    capped.read_to_end().await;
    eventually("the revoked streams are dropped", || {
        server.handle.open_streams() == 0
    })
    .await;
    let _after = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .unwrap();
}

#[tokio::test]
async fn an_address_past_the_app_wide_cap_gets_429_on_an_unguarded_route_too() {
    let hub = Hub::new();
    let server = instance(&hub).await;
    let addr = server.addr;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(Events::open(addr, "/open", &[]).await.unwrap());
    }
    let fourth = Events::open(addr, "/open", &[]).await.err();
    assert_eq!(fourth, Some(too_many(3, "client address")));
    // The cap counts the address's streams on every route.
    let guarded = Events::open(addr, "/t/capped", &["X-User: ann"])
        .await
        .err();
    assert_eq!(guarded, Some(too_many(3, "client address")));
    open.pop();
    eventually("the gone client's stream is dropped", || {
        server.handle.open_streams() == 2
    })
    .await;
    let _again = Events::open(addr, "/open", &[]).await.unwrap();
}

#[tokio::test]
async fn a_shutdown_leaves_no_count_behind() {
    let hub = Hub::new();
    let server = instance(&hub).await;
    let mut streams = Vec::new();
    for user in ["X-User: ann", "X-User: bob"] {
        streams.push(
            Events::open(server.addr, "/t/capped", &[user])
                .await
                .unwrap(),
        );
    }
    let handle = server.handle.clone();
    handle.shutdown();
    for stream in &mut streams {
        stream.read_to_end().await;
    }
    server.served_cleanly().await;
    // Every ticket is given back: nothing is left to revoke.
    assert_eq!(handle.revoke("user:ann") + handle.revoke("user:bob"), 0);
}

#[tokio::test]
async fn an_address_past_its_rate_of_new_streams_gets_429_with_the_wait_even_after_closing_them() {
    let rate = StreamRate::new(2, Duration::from_secs(60));
    let builder = NestFactory::create()
        .controllers::<(OpenController,)>()
        .new_streams_per_address(Some(rate));
    let server = support::serve(builder).await;
    let first = Events::open(server.addr, "/open", &[]).await.unwrap();
    let second = Events::open(server.addr, "/open", &[]).await.unwrap();
    // Unlike the cap on open streams, closing them gives no new one back before its time.
    drop((first, second));
    eventually("the closed streams are dropped", || {
        server.handle.open_streams() == 0
    })
    .await;
    let (status, retry_after, body) = Events::open(server.addr, "/open", &[])
        .await
        .err()
        .expect("refused");
    assert_eq!(status, 429);
    assert_eq!(
        body,
        r#"{"statusCode":429,"message":"too many new streams: at most 2 in 60s per client address","error":"Too Many Requests"}"#
    );
    // One new stream each 30 s once the burst of two is spent.
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
}

#[test]
fn a_rate_of_no_stream_fails_start_up_naming_the_setting() {
    for rate in [
        StreamRate::new(0, Duration::from_secs(1)),
        StreamRate::new(1, Duration::ZERO),
    ] {
        let Err(error) = NestFactory::create()
            .controllers::<(OpenController,)>()
            .new_streams_per_address(Some(rate))
            .build()
        else {
            panic!("{rate:?} must be refused");
        };
        assert!(
            error
                .to_string()
                .contains("new_streams_per_address must allow at least 1 stream"),
            "{error}"
        );
    }
}
