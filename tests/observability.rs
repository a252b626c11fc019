//! What nestish reports about itself, after a known workload over real sockets: the log lines
//! (an access log, refusals, one line per closed stream with its reason and counts), the
//! Prometheus text of its metrics, and health checks whose readiness turns 503 on shutdown.
//!
//! The only test of its binary: the `metrics` recorder and the callsites of `tracing` are the
//! process's, so the counts are exact only if nothing else in this binary counts or logs.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
use nestish_core::testing::{Test, TestApp};
use nestish_core::{HttpError, MessageEvent, controller, get, sse};

#[derive(Default)]
pub struct ObservedController;

#[controller("obs")]
impl ObservedController {
    #[get("ok")]
    fn ok(&self) -> &'static str {
        "ok"
    }

    #[get("items/:id")]
    fn item(&self, #[param("id")] id: u32) -> String {
        id.to_string()
    }

    /// Three events, then the end.
    #[sse("three", keep_alive = false)]
    fn three(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter(["a", "b", "c"].map(MessageEvent::new))
    }

    /// One event, then silence.
    #[sse("forever", keep_alive = false)]
    fn forever(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("hello")]).chain(stream::pending())
    }

    /// One event, then an error.
    #[sse("fail", keep_alive = false)]
    fn fail(&self) -> impl Stream<Item = Result<MessageEvent, HttpError>> + Send + 'static {
        stream::iter([
            Ok(MessageEvent::new("first")),
            Err(HttpError::bad_request("no more")),
        ])
    }

    /// 1 KiB events, as fast as the socket takes them, forever.
    #[sse("flood", keep_alive = false)]
    fn flood(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::repeat_with(|| MessageEvent::new("x".repeat(1024)))
    }
}

async fn app(
    configure: impl FnOnce(nestish_core::AppBuilder) -> nestish_core::AppBuilder,
) -> TestApp {
    Test::create_testing_module()
        .controllers::<(ObservedController,)>()
        .configure(configure)
        .start()
        .await
        .expect("the app starts")
}

/// `name{labels} value` lines of a Prometheus text, keyed by name and sorted labels.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => {
                    let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                    labels.sort_unstable();
                    (name, labels.join(","))
                }
                None => (series, String::new()),
            };
            Some((format!("{name}{{{labels}}}"), value.parse().ok()?))
        })
        .collect()
}

// A current-thread runtime: every task of the apps runs on this thread, under the subscriber
// set here.
#[tokio::test]
async fn logs_and_metrics_report_a_known_workload_exactly() {
    let (captured, _default) = support::logs::capture(tracing::Level::DEBUG);

    let main = app(|app| app.metrics_route("/metrics")).await;
    // Requests: two answered, a 404, a 400 from extraction.
    assert_eq!(main.get("/obs/ok").await.status(), 200);
    assert_eq!(main.get("/obs/ok").await.status(), 200);
    assert_eq!(main.get("/nope").await.status(), 404);
    assert_eq!(main.get("/obs/items/x").await.status(), 400);
    // Streams closed for each reason.
    let mut three = main.sse("/obs/three").await;
    assert_eq!(three.end().await.len(), 3, "ended");
    let mut gone = main.sse("/obs/forever").await;
    gone.next_event().await;
    drop(gone);
    let mut failed = main.sse("/obs/fail").await;
    assert_eq!(failed.end().await.len(), 2, "an event, then `event: error`");
    main.settled().await;

    let lifetime = app(|app| app.sse_max_lifetime(Some(Duration::from_millis(100)))).await;
    let mut expiring = lifetime.sse("/obs/forever").await;
    assert_eq!(
        expiring.end().await.len(),
        1,
        "the lifetime ends it cleanly"
    );
    lifetime.settled().await;

    let stall = app(|app| {
        app.stall_timeout(Duration::from_millis(300))
            .send_buffer(Some(4096))
            .buffer_size(8 * 1024)
    })
    .await;
    let mut stalled = support::Conn::open(stall.addr()).await;
    stalled.send("GET", "/obs/flood", &[]).await;
    support::eventually("the flood is open", || stall.handle().open_streams() == 1).await;
    stall.settled().await; // the client never reads: the stall timeout closes it

    let shutdown = app(|app| app).await;
    let mut open = shutdown.sse("/obs/forever").await;
    open.next_event().await;
    shutdown.shutdown().await.expect("a clean shutdown");
    assert!(open.end().await.is_empty());
    drop(stalled);

    // The log: one line per closed stream, with its reason and what it sent.
    for (route, reason, events) in [
        ("/obs/three", "ended", 3),
        ("/obs/forever", "client_gone", 1),
        ("/obs/fail", "error", 1),
        ("/obs/forever", "lifetime", 1),
        ("/obs/forever", "shutdown", 1),
    ] {
        let lines = captured.lines(&[
            "stream closed",
            &format!("route=\"{route}\""),
            &format!("reason=\"{reason}\""),
        ]);
        assert_eq!(lines.len(), 1, "{route} {reason}: {lines:?}");
        assert!(
            lines[0].contains(&format!("events={events} ")),
            "{}",
            lines[0]
        );
    }
    let stalls = captured.lines(&["stream closed", "route=\"/obs/flood\"", "stall_timeout"]);
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    assert_eq!(captured.lines(&["stream closed"]).len(), 6);
    // The access log: one line per request, at INFO, by route template, with the span's
    // fields so it reads alone, and the time as a person reads it.
    let refused = captured.lines(&[" INFO ", "refused"]);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|l| l.contains("route=\"(no route)\"") && l.contains("status=404"))
    );
    assert!(
        refused
            .iter()
            .any(|l| l.contains("route=\"/obs/items/:id\"") && l.contains("status=400"))
    );
    let answered = captured.lines(&[" INFO ", "answered", "route=\"/obs/ok\"", "status=200"]);
    assert_eq!(answered.len(), 2, "{answered:?}");
    for line in answered.iter().chain(&refused) {
        for field in ["method=GET", "peer=127.0.0.1:", "version=HTTP/1.1"] {
            assert!(line.contains(field), "{field} in {line}");
        }
        let ms = line
            .split("ms=")
            .nth(1)
            .expect("ms")
            .split(' ')
            .next()
            .unwrap();
        let decimals = ms.split('.').nth(1).map_or(0, str::len);
        assert!(decimals <= 3, "ms to the microsecond: {line}");
    }
    // One line per request: the two answers of /obs/ok have no second line at another level.
    assert_eq!(captured.lines(&["route=\"/obs/ok\"", "status="]).len(), 2);

    // The hub: events by topic class, and a subscriber older than the history.
    // Classes the app declares: `user:1` and `user:2` count as one `user`.
    let classes = HubConfig::default().history(2).classify(|topic| {
        if topic.starts_with("user:") {
            "user"
        } else {
            "chat"
        }
    });
    let hub = Hub::with_backend(MemoryBackend::new(classes));
    for topic in ["chat", "chat", "chat", "user:1", "user:2"] {
        hub.publish(topic, MessageEvent::new("x"))
            .await
            .expect("published");
    }
    let mut late = hub.subscribe("chat", Some(0));
    assert_eq!(
        late.next().await.and_then(|event| event.id()),
        None,
        "a missed notice"
    );

    // The metrics, scraped over the socket after the workload.
    let scraped = main.get("/metrics").await;
    assert_eq!(
        scraped.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let metrics = samples(&scraped.text());
    let value = |series: &str| {
        *metrics
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in\n{}", scraped.text()))
    };
    assert_eq!(
        value(r#"nestish_requests_total{method="GET",route="/obs/ok",status="200"}"#),
        2.0
    );
    assert_eq!(
        value(r#"nestish_requests_total{method="GET",route="(no route)",status="404"}"#),
        1.0
    );
    assert_eq!(
        value(r#"nestish_requests_total{method="GET",route="/obs/items/:id",status="400"}"#),
        1.0
    );
    assert_eq!(
        value(r#"nestish_sse_events_total{route="/obs/three"}"#),
        3.0
    );
    // The error event is the stream's last frame, not one of its events.
    assert_eq!(value(r#"nestish_sse_events_total{route="/obs/fail"}"#), 1.0);
    assert_eq!(
        value(r#"nestish_sse_events_total{route="/obs/forever"}"#),
        3.0
    );
    for (route, reason) in [
        ("/obs/three", "ended"),
        ("/obs/forever", "client_gone"),
        ("/obs/fail", "error"),
        ("/obs/forever", "lifetime"),
        ("/obs/forever", "shutdown"),
        ("/obs/flood", "stall_timeout"),
    ] {
        let series = format!(r#"nestish_sse_closes_total{{reason="{reason}",route="{route}"}}"#);
        assert_eq!(value(&series), 1.0, "{series}");
    }
    assert_eq!(
        value(r#"nestish_sse_open_streams{route="/obs/forever"}"#),
        0.0
    );
    assert_eq!(
        value(r#"nestish_sse_time_to_first_event_seconds_count{route="/obs/three"}"#),
        1.0
    );
    assert_eq!(
        value(r#"nestish_hub_published_total{topic_class="chat"}"#),
        3.0
    );
    assert_eq!(
        value(r#"nestish_hub_published_total{topic_class="user"}"#),
        2.0
    );
    assert_eq!(
        value(r#"nestish_hub_missed_total{topic_class="chat"}"#),
        1.0
    );
    // Only this scrape's connection is open, of all four apps.
    assert_eq!(value("nestish_open_connections{}"), 1.0);
}
