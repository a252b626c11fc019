//! Topic authorization over real sockets: a guard grants each tenant its own topics, routes take
//! a `GrantedHub`, and a client of tenant A asks for tenant B's topics by every input it
//! controls (path, query, `Last-Event-ID`, body). It gets 403 with the app's error body and no
//! SSE header for a subscription, 403 for a publication that publishes nothing, and none of B's
//! events on its own stream: on the in-process hub, and on two instances sharing a real
//! `redis-server`, A on one and B on the other.

use crate::support;

use std::net::SocketAddr;

use nestish_core::hub::{GrantedHub, Hub, Subscription, TopicGrant};
use nestish_core::{
    Guard, GuardRequest, HttpError, Json, NestFactory, controller, post, sse, use_guards,
};
use support::Conn;
use support::redis::Redis;

/// Grants the tenant named by the `X-Tenant` header its own topics, `tenant:<name>:*`.
pub struct TenantGuard;

impl Guard for TenantGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let tenant = request
            .header("x-tenant")
            .ok_or_else(|| HttpError::unauthorized("no tenant"))?;
        let own = format!("tenant:{tenant}:*");
        request.grant(TopicGrant::all(own));
        Ok(())
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct TopicQuery {
    topic: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Publication {
    topic: String,
    text: String,
}

/// Routes that take the topic from the client, as a careless app would: the grants are all
/// that stands between a tenant and another's events.
#[derive(Default)]
pub struct TopicsController;

#[controller("t")]
#[use_guards(TenantGuard)]
impl TopicsController {
    #[sse("rooms/:topic")]
    fn by_path(
        &self,
        hub: GrantedHub,
        #[param("topic")] topic: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<Subscription, HttpError> {
        hub.subscribe(&topic, seen)
    }

    /// The same, the topic read from `?topic=`.
    #[sse("events")]
    fn by_query(
        &self,
        hub: GrantedHub,
        #[query] query: TopicQuery,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<Subscription, HttpError> {
        self.by_path(hub, query.topic, seen)
    }

    #[post("publish")]
    async fn publish(
        &self,
        hub: GrantedHub,
        #[body] publication: Json<Publication>,
    ) -> Result<String, HttpError> {
        let Json(Publication { topic, text }) = publication;
        Ok(hub.publish(&topic, text).await?.to_string())
    }
}

/// An instance of the app on `hub`.
async fn instance(hub: &Hub) -> support::Running {
    let builder = NestFactory::create()
        .controllers::<(TopicsController,)>()
        .provide(hub.clone())
        .provide(TenantGuard);
    support::serve(builder).await
}

/// Publishes `text` on `topic` as `tenant`; the status and body of the answer.
async fn publish(addr: SocketAddr, tenant: &str, topic: &str, text: &str) -> (u16, String) {
    let tenant = format!("X-Tenant: {tenant}");
    let headers = ["Content-Type: application/json", tenant.as_str()];
    let body = serde_json::json!({ "topic": topic, "text": text }).to_string();
    let mut conn = Conn::open(addr).await;
    conn.send_body("POST", "/t/publish", &headers, &body).await;
    let head = conn.head().await;
    let body = conn.sized_body(&head).await;
    (head.status, body)
}

/// A stream as a tenant's client reads it: the id and data of each event, heartbeats skipped.
struct Events {
    conn: Conn,
    buf: String,
}

impl Events {
    /// Opens `path` as `tenant` with extra header lines; the refusal's status and body if it
    /// is not a stream.
    async fn open(
        addr: SocketAddr,
        tenant: &str,
        path: &str,
        headers: &[&str],
    ) -> Result<Self, (u16, String)> {
        let tenant = format!("X-Tenant: {tenant}");
        let headers: Vec<&str> = headers.iter().copied().chain([tenant.as_str()]).collect();
        let conn = support::open_stream(addr, path, &headers)
            .await
            .map_err(|(head, body)| (head.status, body))?;
        Ok(Self {
            conn,
            buf: String::new(),
        })
    }

    /// The next event's id and data.
    async fn next(&mut self) -> (u64, String) {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id: ") {
                        id = Some(value.parse().expect("a numeric id"));
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data = Some(value.to_owned());
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    return (id, data);
                }
            }
            let chunk = self.conn.chunk().await.expect("the stream stays open");
            self.buf
                .push_str(&String::from_utf8(chunk).expect("UTF-8 events"));
        }
    }
}

/// The app's 403 body.
const REFUSED: &str = r#"{"statusCode":403,"message":"topic not granted","error":"Forbidden"}"#;

/// Tenant B on `b` (its hub `hub_b`), tenant A on `a`: A gets none of B's events, by any input.
async fn tenants_apart(a: SocketAddr, b: SocketAddr, hub_b: &Hub) {
    let mut b_stream = Events::open(b, "b", "/t/rooms/tenant:b:news", &[])
        .await
        .expect("B may read its own topic");
    let b1 = published(b, "b", "tenant:b:news", "b1").await;
    let b2 = published(b, "b", "tenant:b:news", "b2").await;
    assert_eq!(b_stream.next().await, (b1, "b1".to_owned()));
    assert_eq!(b_stream.next().await, (b2, "b2".to_owned()));

    // The path, the query (plain and percent-encoded), each with and without a Last-Event-ID
    // asking for the whole history, and names that only look like A's.
    let attempts = [
        "/t/rooms/tenant:b:news",
        "/t/events?topic=tenant:b:news",
        "/t/events?topic=tenant%3Ab%3Anews",
        "/t/rooms/tenant:a",
        "/t/events?topic=tenant:ab:news",
    ];
    for path in attempts {
        for headers in [&[][..], &["Last-Event-ID: 0"][..]] {
            let refused = Events::open(a, "a", path, headers).await.err();
            assert_eq!(
                refused,
                Some((403, REFUSED.to_owned())),
                "{path} {headers:?}"
            );
        }
    }
    // Without a tenant, the guard itself refuses.
    let mut conn = Conn::open(a).await;
    conn.send("GET", "/t/rooms/tenant:b:news", &[]).await;
    assert_eq!(conn.head().await.status, 401);

    // The body: a publication on B's topic is refused and publishes nothing.
    let (status, body) = publish(a, "a", "tenant:b:news", "from a").await;
    assert_eq!((status, body.as_str()), (403, REFUSED));
    let history = hub_b.history("tenant:b:news").await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(nestish_core::hub::HubEvent::id)
            .collect::<Vec<_>>(),
        [Some(b1), Some(b2)]
    );

    // A's own topic, from the start by Last-Event-ID: A's events only; B's stream has B's.
    let a1 = published(a, "a", "tenant:a:news", "a1").await;
    let own = "/t/events?topic=tenant:a:news";
    let mut a_stream = Events::open(a, "a", own, &["Last-Event-ID: 0"])
        .await
        .expect("A may read its own topic");
    assert_eq!(a_stream.next().await, (a1, "a1".to_owned()));
    let b3 = published(b, "b", "tenant:b:news", "b3").await;
    let a2 = published(a, "a", "tenant:a:news", "a2").await;
    assert_eq!(a_stream.next().await, (a2, "a2".to_owned()));
    assert_eq!(b_stream.next().await, (b3, "b3".to_owned()));
}

/// Publishes `text` on `topic` as `tenant`, which must be granted it; the event's id.
async fn published(addr: SocketAddr, tenant: &str, topic: &str, text: &str) -> u64 {
    let (status, body) = publish(addr, tenant, topic, text).await;
    assert_eq!(status, 200, "{body}");
    body.parse().expect("the id")
}

#[tokio::test]
async fn a_tenant_reads_and_writes_only_its_granted_topics_in_process() {
    let hub = Hub::new();
    let server = instance(&hub).await;
    tenants_apart(server.addr, server.addr, &hub).await;
}

#[tokio::test]
async fn a_tenant_reads_and_writes_only_its_granted_topics_across_redis_instances() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let (hub_a, hub_b) = (connect(&redis).await, connect(&redis).await);
    let (a, b) = (instance(&hub_a).await, instance(&hub_b).await);
    tenants_apart(a.addr, b.addr, &hub_b).await;
}

/// A hub on `redis`, as each instance of an app has its own.
async fn connect(redis: &Redis) -> Hub {
    Hub::redis(redis.url())
        .connect()
        .await
        .expect("the hub connects to redis-server")
}
