//! nestish, through its public API only: one `#[controller]` with three `#[sse]` routes, its tick
//! period and its event hub injected as providers, `?n=` read with `#[query]`, and each payload
//! yielded as `Json<T>`, which the README shows and nestish serialises straight into the frame
//! buffer. `GET /hub` returns a live `Hub` subscription as it is, as the sample's chat does.
//! `GET /plain` and `GET /sse`, and their copies under `/guarded/` behind a guard that reads a
//! cookie, are the guard-cost scenario's; `GET /mapped/flood`, `/flood` behind an interceptor
//! that sees every event, intercept-cost's; `GET /typed/flood`, its payloads as a typed enum,
//! typed-cost's.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::hub::{Hub, HubEvent};
use nestish_core::intercept::{Call, Interceptor};
use nestish_core::{
    AppBuilder, Guard, GuardRequest, HttpError, Json, MessageEvent, NestFactory, Response,
    SseEvent, controller, get, inject, sse, use_guards, use_interceptors,
};

use super::{Config, Flood, HELLO, HUB_TOPIC, Hello};

/// The period of `GET /sse`, registered on the factory and injected into the controller.
pub(super) struct Tick(Duration);

/// The cookie the guarded routes ask for, and the one the client sends.
pub(crate) const SESSION_COOKIE: &str = "session=bench-session-token";

/// A guard that only reads a cookie: what the 2 % target is about.
pub(super) struct CookieGuard;

impl Guard for CookieGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.cookie("session") {
            Some("bench-session-token") => Ok(()),
            _ => Err(HttpError::unauthorized("no session")),
        }
    }
}

/// An interceptor that sees every event of its streams and passes it on, counting them per
/// stream and adding the count to its total when the stream closes: the intercept-cost
/// scenario's, the least a per-event interceptor does.
#[derive(Default)]
pub(super) struct CountEvents(Arc<AtomicU64>);

impl Interceptor for CountEvents {
    async fn intercept(&self, mut call: Call) -> Response {
        let seen = Arc::new(AtomicU64::new(0));
        let (counted, total) = (Arc::clone(&seen), Arc::clone(&self.0));
        let mut count = 0;
        call.map_events(move |_| {
            count += 1;
            // Published as it goes, without an atomic read-modify-write per event.
            counted.store(count, Ordering::Relaxed);
            true
        });
        call.on_close(move |_| {
            total.fetch_add(seen.load(Ordering::Relaxed), Ordering::Relaxed);
        });
        call.proceed().await
    }
}

/// `GET /typed/flood`'s events: `GET /flood`'s payloads as a typed enum's one variant, the
/// typed-cost scenario's. Named `message`, it goes without an `event:` line, so the two routes
/// send the same bytes and the scenario compares their encoding alone.
#[derive(SseEvent)]
enum FloodEvents {
    #[event(rename = "message")]
    Flood(Flood),
}

/// The benchmark's routes, as a nestish user would write them.
pub(super) struct BenchController {
    tick: Duration,
    hub: Arc<Hub>,
}

#[controller]
impl BenchController {
    #[inject]
    fn new(tick: Arc<Tick>, hub: Arc<Hub>) -> Self {
        Self { tick: tick.0, hub }
    }

    /// `{"hello":"world"}` every tick.
    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = Json<Hello>> + Send + 'static {
        nestish_core::interval(self.tick).map(|_| Json(HELLO))
    }

    /// `n` events `{"hello":"world","i":i}`, as fast as the socket takes them.
    #[sse("flood")]
    fn flood(&self, #[query("n")] n: u64) -> impl Stream<Item = Json<Flood>> + Send + 'static {
        stream::iter((0..n).map(|i| Json(Flood::new(i))))
    }

    /// `GET /flood` through [`CountEvents`]: the mapped side of intercept-cost.
    #[sse("mapped/flood")]
    #[use_interceptors(CountEvents)]
    fn mapped_flood(
        &self,
        #[query("n")] n: u64,
    ) -> impl Stream<Item = Json<Flood>> + Send + 'static {
        stream::iter((0..n).map(|i| Json(Flood::new(i))))
    }

    /// `GET /flood`'s payloads as typed events: typed-cost's other side.
    #[sse("typed/flood")]
    fn typed_flood(
        &self,
        #[query("n")] n: u64,
    ) -> impl Stream<Item = FloodEvents> + Send + 'static {
        stream::iter((0..n).map(|i| FloodEvents::Flood(Flood::new(i))))
    }

    /// A plain answer: the unguarded side of guard-cost.
    #[get("plain")]
    fn plain(&self) -> &'static str {
        "ok"
    }

    /// The same, behind the cookie guard.
    #[get("guarded/plain")]
    #[use_guards(CookieGuard)]
    fn guarded_plain(&self) -> &'static str {
        "ok"
    }

    /// `GET /sse` behind the cookie guard.
    #[sse("guarded/sse")]
    #[use_guards(CookieGuard)]
    fn guarded_sse(&self) -> impl Stream<Item = Json<Hello>> + Send + 'static {
        nestish_core::interval(self.tick).map(|_| Json(HELLO))
    }

    /// Every event published on the hub from now on (no replay).
    #[sse("hub")]
    fn hub(&self) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe(HUB_TOPIC, None)
    }

    /// Every event published on user `n`'s own topic from now on: fleet's per-user streams.
    #[sse("user/:n")]
    fn user(&self, #[param("n")] n: u32) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe(&format!("user:{n}"), None)
    }

    /// The announcements the hub has read from its engine (0 in process): fleet's count.
    #[get("fleet/received")]
    fn received(&self) -> String {
        self.hub.announcements_received().unwrap_or(0).to_string()
    }
}

pub(super) fn serve(config: Config) -> io::Result<()> {
    serve_with(config, |app| app)
}

/// As [`serve`], with the Prometheus recorder counting (and `GET /metrics`).
#[cfg(feature = "metrics")]
pub fn serve_with_metrics(config: Config) -> io::Result<()> {
    serve_with(config, |app| app.metrics_route("/metrics"))
}

fn serve_with(config: Config, configure: impl FnOnce(AppBuilder) -> AppBuilder) -> io::Result<()> {
    super::current_thread_runtime()?.block_on(async {
        let hub = Arc::new(match config.redis {
            Some(port) => Hub::redis(format!("redis://127.0.0.1:{port}"))
                .connect()
                .await
                .map_err(io::Error::other)?,
            None => Hub::new(),
        });
        let app = NestFactory::create()
            // The default cap (16,384) is a safety net; c100k holds 100,000 streams, as a
            // deployment sized for it would set.
            .max_connections(200_000)
            .provide(Tick(config.tick))
            .provide_arc(Arc::clone(&hub))
            .provide(CookieGuard)
            .provide(CountEvents::default());
        let server = configure(app.reuse_port(config.reuse_port))
            .build()
            .map_err(io::Error::other)?;
        let addr = ("127.0.0.1", config.port);
        let server = match &config.tls {
            Some(files) => {
                let tls = nestish_core::TlsConfig::from_pem_files(&files.cert, &files.key)
                    .map_err(io::Error::other)?;
                server.bind_tls(addr, tls).await
            }
            None => server.bind(addr).await,
        }
        .map_err(io::Error::other)?;
        if let Some(period) = config.hub {
            tokio::spawn(super::publish_stamps(period, move |stamp| {
                let hub = Arc::clone(&hub);
                async move {
                    // The in-process hub never fails (nor does Redis here), and a `Stamp`
                    // always serialises.
                    if let Ok(event) = MessageEvent::json(&stamp) {
                        let _ = hub.publish(HUB_TOPIC, event).await;
                    }
                }
            }));
        }
        super::announce(server.local_addr())?;
        server.serve().await.map_err(io::Error::other)
    })
}
