//! Metric labels a client cannot choose, and metrics only for whom should read them: topics
//! published by the thousand, their names chosen by the client, add no series to the
//! Prometheus text scraped over the socket (classes the app declares, at most
//! `MAX_TOPIC_CLASSES` of them, the rest counted as `(overflow)`), and a guarded `/metrics`
//! refuses a scrape without its token.
//!
//! The only test of its binary: the `metrics` recorder is the process's, so the series counted
//! here are exactly those this test made.

use std::sync::Arc;

use nestish_core::hub::{Hub, HubConfig, MAX_TOPIC_CLASSES, MemoryBackend};
use nestish_core::testing::{Test, TestApp};
use nestish_core::{Error, Guard, GuardRequest, HttpError, StatusCode, controller, inject, post};

/// Publishes on the topic the client names: as an app that makes a topic per user named, or
/// per name mentioned, lets the client choose it.
pub struct PublishController {
    hub: Arc<Hub>,
}

#[controller("publish")]
impl PublishController {
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    #[post(":topic")]
    async fn publish(
        &self,
        #[param("topic")] topic: String,
    ) -> Result<(StatusCode, &'static str), HttpError> {
        self.hub
            .publish(&topic, "hello")
            .await
            .map_err(|_| HttpError::internal())?;
        Ok((StatusCode::CREATED, "published"))
    }
}

/// Lets a scrape through with `Authorization: Bearer scraper`.
pub struct ScraperGuard;

impl Guard for ScraperGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.header("authorization") {
            Some("Bearer scraper") => Ok(()),
            _ => Err(HttpError::unauthorized("a scraper's token, please")),
        }
    }
}

/// A classifier that gets it wrong: every topic its own class (its own name, leaked).
fn one_class_per_topic(topic: &str) -> &'static str {
    Box::leak(topic.to_owned().into_boxed_str())
}

async fn app(hub: Hub) -> TestApp {
    Test::create_testing_module()
        .controllers::<(PublishController,)>()
        .provide(hub)
        .provide(ScraperGuard)
        .configure(|app| {
            app.metrics_route("/metrics")
                .metrics_guard::<ScraperGuard>()
        })
        .start()
        .await
        .expect("the app starts")
}

/// The series of `metric` in a Prometheus text: `(labels, value)`.
fn series(text: &str, metric: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| line.strip_prefix(metric)?.strip_prefix('{'))
        .filter_map(|rest| {
            let (labels, value) = rest.rsplit_once("} ")?;
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(app: &TestApp) -> String {
    let scraped = app
        .get("/metrics")
        .header("authorization", "Bearer scraper")
        .await;
    assert_eq!(scraped.status(), StatusCode::OK);
    scraped.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_chosen_topics_add_no_series_and_the_guarded_metrics_refuse_a_stranger() {
    const TOPICS: usize = 1_000;
    // The app declares no classes: every topic is `all`, however many names come.
    let plain = app(Hub::new()).await;
    for n in 0..TOPICS {
        let posted = plain
            .post(&format!("/publish/notifications-user-{n}"))
            .await;
        assert_eq!(posted.status(), StatusCode::CREATED);
    }
    let published = series(&scrape(&plain).await, "nestish_hub_published_total");
    assert_eq!(
        published,
        [(r#"topic_class="all""#.to_owned(), TOPICS as f64)]
    );

    // An app whose classes are the topics' names: capped all the same, the rest in `(overflow)`.
    let leaky = Hub::with_backend(MemoryBackend::new(
        HubConfig::default().classify(one_class_per_topic),
    ));
    let leaky = app(leaky).await;
    for n in 0..TOPICS {
        leaky.post(&format!("/publish/user-{n}")).await;
    }
    let published = series(&scrape(&leaky).await, "nestish_hub_published_total");
    println!(
        "2 x {} topics published: {} series of nestish_hub_published_total",
        TOPICS,
        published.len()
    );
    assert_eq!(published.len(), MAX_TOPIC_CLASSES + 1, "{published:?}");
    let overflow = published
        .iter()
        .find(|(labels, _)| labels == r#"topic_class="(overflow)""#)
        .map(|(_, value)| *value);
    // `all` is one of the classes seen: the leaky hub had MAX_TOPIC_CLASSES - 1 places left.
    assert_eq!(
        overflow,
        Some((TOPICS - (MAX_TOPIC_CLASSES - 1)) as f64),
        "{published:?}"
    );
    let total: f64 = published.iter().map(|(_, value)| value).sum();
    assert_eq!(total, 2.0 * TOPICS as f64, "every publication is counted");

    // A scrape without the token, or with another, is refused; nothing of the metrics leaks.
    for authorization in [None, Some("Bearer guess"), Some("scraper")] {
        let mut request = leaky.get("/metrics");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let refused = request.await;
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:?}"
        );
        assert!(!refused.text().contains("nestish_"), "{}", refused.text());
    }

    // A guard named for the metrics but not provided fails the build, naming it.
    let missing = nestish_core::NestFactory::create()
        .provide(Hub::new())
        .metrics_route("/metrics")
        .metrics_guard::<ScraperGuard>()
        .build()
        .expect_err("the guard is missing");
    assert!(
        matches!(missing, Error::MissingMetricsGuard { .. }),
        "{missing}"
    );
    assert!(missing.to_string().contains("ScraperGuard"), "{missing}");
}
