//! Runs over real sockets: a producer detached from the request that started it keeps running
//! and storing when its client goes (where a plain `#[sse]` stream's producer stops), a client
//! attaches by id with `Last-Event-ID` and gets what it missed then live, a finished run is
//! replayed then answered 204, only its owner attaches or cancels (403 before any SSE header),
//! a cancel stops the producer, and the bounds hold; in process, and on two instances sharing a
//! real `redis-server` (attach on B to a run started on A, cancel on B stops A's producer, a
//! finished run of 10,000 tokens replayed with one `XRANGE`).

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::Stream;
use nestish_core::run::{RunId, RunStatus, RunStream, Runs, RunsConfig};
use nestish_core::testing::{EventStream, Received, Test, TestApp, TestResponse};
use nestish_core::{
    Guard, GuardRequest, Guarded, HttpError, Json, StatusCode, controller, get, inject, post, sse,
    use_guards,
};
use support::redis::Redis;

/// The principal: the name in the `X-User` header.
#[derive(Clone, Debug)]
pub struct User(String);

pub struct UserGuard;

impl Guard for UserGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let name = request
            .header("x-user")
            .ok_or_else(|| HttpError::unauthorized("who?"))?
            .to_owned();
        request.insert(User(name));
        Ok(())
    }
}

/// The fake models alive in this app: each one counts itself while its stream exists, so a
/// test sees a producer stop (its stream dropped) rather than guessing.
#[derive(Default)]
pub struct Producers {
    alive: Arc<AtomicUsize>,
    /// Tokens yielded, by every producer.
    yielded: Arc<AtomicUsize>,
}

impl Producers {
    fn alive(&self) -> usize {
        self.alive.load(Ordering::SeqCst)
    }

    /// `count` tokens (`t1 `, `t2 `...), one every `every` ms; `count` 0: never ends.
    fn model(&self, count: usize, every: u64) -> impl Stream<Item = String> + Send + 'static {
        struct Alive(Arc<AtomicUsize>);
        impl Drop for Alive {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.alive.fetch_add(1, Ordering::SeqCst);
        let alive = Alive(Arc::clone(&self.alive));
        let yielded = Arc::clone(&self.yielded);
        futures::stream::unfold((1, alive), move |(n, alive)| {
            let yielded = Arc::clone(&yielded);
            async move {
                if count != 0 && n > count {
                    return None;
                }
                if every > 0 {
                    tokio::time::sleep(Duration::from_millis(every)).await;
                }
                yielded.fetch_add(1, Ordering::SeqCst);
                Some((format!("t{n} "), (n + 1, alive)))
            }
        })
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Start {
    tokens: usize,
    every: u64,
}

pub struct RunsController {
    runs: Arc<Runs>,
    producers: Arc<Producers>,
}

#[controller("runs")]
#[use_guards(UserGuard)]
impl RunsController {
    #[inject]
    fn new(runs: Arc<Runs>, producers: Arc<Producers>) -> Self {
        Self { runs, producers }
    }

    #[post]
    async fn start(
        &self,
        user: Guarded<User>,
        #[body] start: Json<Start>,
    ) -> Result<Json<RunId>, HttpError> {
        let model = self.producers.model(start.0.tokens, start.0.every);
        Ok(Json(self.runs.start(&user.0.0, model).await?))
    }

    #[sse(":id/events")]
    async fn events(
        &self,
        user: Guarded<User>,
        #[param("id")] id: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<RunStream, HttpError> {
        Ok(self.runs.attach(&user.0.0, &id, seen).await?)
    }

    #[post(":id/cancel")]
    async fn cancel(
        &self,
        user: Guarded<User>,
        #[param("id")] id: String,
    ) -> Result<(StatusCode, ()), HttpError> {
        self.runs.cancel(&user.0.0, &id).await?;
        Ok((StatusCode::NO_CONTENT, ()))
    }

    #[get(":id/status")]
    async fn status(
        &self,
        user: Guarded<User>,
        #[param("id")] id: String,
    ) -> Result<Json<RunStatus>, HttpError> {
        Ok(Json(self.runs.status(&user.0.0, &id).await?))
    }

    /// The contrast: the same model as a plain stream, which belongs to its connection.
    #[sse("plain")]
    fn plain(&self) -> impl Stream<Item = String> + Send + 'static {
        self.producers.model(0, 5)
    }
}

/// An app serving runs kept by `runs`, and its fake models.
async fn app(runs: Runs) -> (TestApp, Arc<Producers>) {
    let producers = Arc::new(Producers::default());
    let app = Test::create_testing_module()
        .controllers::<(RunsController,)>()
        .provide(runs)
        .provide_arc(Arc::clone(&producers))
        .provide(UserGuard)
        .start()
        .await
        .expect("the runs app starts");
    (app, producers)
}

async fn start(app: &TestApp, user: &str, tokens: usize, every: u64) -> String {
    let answer = app
        .post("/runs")
        .header("x-user", user)
        .json(&serde_json::json!({ "tokens": tokens, "every": every }))
        .send()
        .await;
    assert_eq!(answer.status(), 200, "{}", answer.text());
    answer.json::<String>()
}

async fn attach(app: &TestApp, user: &str, id: &str, seen: Option<&str>) -> EventStream {
    let mut request = app
        .sse(&format!("/runs/{id}/events"))
        .header("x-user", user);
    if let Some(seen) = seen {
        request = request.last_event_id(seen);
    }
    request.send().await
}

async fn status(app: &TestApp, user: &str, id: &str) -> RunStatus {
    let answer = app
        .get(&format!("/runs/{id}/status"))
        .header("x-user", user)
        .send()
        .await;
    assert_eq!(answer.status(), 200, "{}", answer.text());
    answer.json()
}

/// Every event until the stream's clean end, as `(id, data)`.
async fn rest(events: &mut EventStream) -> Vec<(String, String)> {
    assert_eq!(events.status(), 200);
    events
        .end()
        .await
        .into_iter()
        .filter_map(|received| match received {
            Received::Event(event) => Some((event.id.unwrap_or_default(), event.data)),
            _ => None,
        })
        .collect()
}

fn tokens(events: &[(String, String)]) -> String {
    events.iter().map(|(_, data)| data.as_str()).collect()
}

fn expected(from: usize, to: usize) -> String {
    (from..=to).map(|n| format!("t{n} ")).collect()
}

/// Asks to cancel the run, as `user`.
async fn cancel(app: &TestApp, user: &str, id: &str) -> TestResponse {
    app.post(&format!("/runs/{id}/cancel"))
        .header("x-user", user)
        .send()
        .await
}

/// Asks for the run's status until `done` holds for the answer, and returns that answer.
async fn status_until(
    app: &TestApp,
    id: &str,
    done: impl Fn(&TestResponse) -> bool,
) -> TestResponse {
    let deadline = tokio::time::Instant::now() + support::PATIENCE;
    loop {
        let answer = app
            .get(&format!("/runs/{id}/status"))
            .header("x-user", "ann")
            .send()
            .await;
        if done(&answer) {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never: {}",
            answer.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until ann's run has ended, by its status.
async fn ended(app: &TestApp, id: &str) -> RunStatus {
    let answer = status_until(app, id, |answer| {
        answer.status() != 200 || answer.json::<RunStatus>() != RunStatus::Running
    })
    .await;
    answer.json()
}

/// A client that leaves mid-answer stops nothing: the run finishes with nobody attached, and
/// the client comes back for what it missed, then gets 204 once it has seen everything.
async fn a_run_outlives_its_client_and_resumes(app: &TestApp, producers: &Producers) {
    let id = start(app, "ann", 40, 5).await;
    let mut first = attach(app, "ann", &id, None).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let event = first.next_event().await;
        seen.push((event.id.unwrap_or_default(), event.data));
    }
    drop(first);
    assert_eq!(ended(app, &id).await, RunStatus::Done);
    assert_eq!(producers.alive(), 0);
    let last_seen = seen[2].0.clone();
    let mut again = attach(app, "ann", &id, Some(&last_seen)).await;
    let missed = rest(&mut again).await;
    assert_eq!(tokens(&seen) + &tokens(&missed), expected(1, 40));
    let last = missed.last().expect("events after the third").0.clone();
    let done = attach(app, "ann", &id, Some(&last)).await;
    assert_eq!(done.status(), 204);
}

/// Two windows on one run read the same answer, live.
async fn two_clients_read_the_same_answer(app: &TestApp) {
    let id = start(app, "ann", 30, 5).await;
    let (mut one, mut two) = (
        attach(app, "ann", &id, None).await,
        attach(app, "ann", &id, None).await,
    );
    let (one, two) = tokio::join!(rest(&mut one), rest(&mut two));
    assert_eq!(tokens(&one), expected(1, 30));
    assert_eq!(one, two);
}

/// Another principal gets 403 with the app's error body and no SSE header, and an id nobody
/// started 404; a cancel from another principal stops nothing.
async fn only_the_owner_attaches_or_cancels(app: &TestApp) {
    let id = start(app, "ann", 0, 50).await;
    let refused = attach(app, "bob", &id, None).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let answer = cancel(app, "bob", &id).await;
    answer.assert_error(StatusCode::FORBIDDEN, "not your run");
    assert_eq!(status(app, "ann", &id).await, RunStatus::Running);
    for unknown in ["0123456789abcdef0123456789abcdef", "not-a-run"] {
        assert_eq!(attach(app, "ann", unknown, None).await.status(), 404);
    }
    let answer = cancel(app, "ann", &id).await;
    assert_eq!(answer.status(), 204);
}

/// A cancel stops a producer that would never end, and the attached client's stream ends
/// after the run's last event.
async fn a_cancel_stops_the_producer(
    cancel_on: &TestApp,
    runs_on: &TestApp,
    producers: &Producers,
) {
    let before = producers.alive();
    let id = start(runs_on, "ann", 0, 10).await;
    let mut live = attach(cancel_on, "ann", &id, None).await;
    live.next_event().await;
    let answer = cancel(cancel_on, "ann", &id).await;
    assert_eq!(answer.status(), 204);
    support::eventually("the producer is dropped", || producers.alive() == before).await;
    rest(&mut live).await;
    assert_eq!(ended(cancel_on, &id).await, RunStatus::Cancelled);
}

#[tokio::test]
async fn runs_in_process() {
    let (app, producers) = app(Runs::new()).await;
    a_run_outlives_its_client_and_resumes(&app, &producers).await;
    two_clients_read_the_same_answer(&app).await;
    only_the_owner_attaches_or_cancels(&app).await;
    a_cancel_stops_the_producer(&app, &app, &producers).await;
}

#[tokio::test]
async fn a_plain_stream_stops_its_producer_when_the_client_goes_and_a_run_does_not() {
    let (app, producers) = app(Runs::new()).await;
    let mut plain = app.sse("/runs/plain").header("x-user", "ann").send().await;
    plain.next_event().await;
    assert_eq!(producers.alive(), 1);
    drop(plain);
    support::eventually("the plain stream's producer stops", || {
        producers.alive() == 0
    })
    .await;

    let id = start(&app, "ann", 20, 5).await;
    let mut run = attach(&app, "ann", &id, None).await;
    run.next_event().await;
    drop(run);
    // The run goes on with nobody attached, to its last token.
    assert_eq!(ended(&app, &id).await, RunStatus::Done);
    assert!(producers.yielded.load(Ordering::SeqCst) >= 20);
    let all = rest(&mut attach(&app, "ann", &id, None).await).await;
    assert_eq!(tokens(&all), expected(1, 20));
}

#[tokio::test]
async fn a_run_past_its_bounds_stops_and_keeps_what_fits() {
    let runs = Runs::with_config(RunsConfig::default().max_events(5).max_running(1));
    let (app, producers) = app(runs).await;
    let id = start(&app, "ann", 10, 0).await;
    assert_eq!(ended(&app, &id).await, RunStatus::TooLarge);
    let kept = rest(&mut attach(&app, "ann", &id, None).await).await;
    assert_eq!(tokens(&kept), expected(1, 5));
    assert_eq!(producers.alive(), 0);

    let _forever = start(&app, "ann", 0, 50).await;
    let busy = app
        .post("/runs")
        .header("x-user", "ann")
        .json(&serde_json::json!({ "tokens": 1, "every": 0 }))
        .send()
        .await;
    busy.assert_error(StatusCode::SERVICE_UNAVAILABLE, "too many runs in progress");
}

#[tokio::test]
async fn a_run_past_its_retention_is_gone() {
    let runs = Runs::with_config(RunsConfig::default().retention(Duration::ZERO));
    let (app, _producers) = app(runs).await;
    let id = start(&app, "ann", 3, 0).await;
    status_until(&app, &id, |answer| answer.status() == 404).await;
}

/// Two instances on one `redis-server`, each with its own connection.
async fn two_instances(redis: &Redis) -> [(TestApp, Arc<Producers>); 2] {
    let mut apps = Vec::new();
    for _ in 0..2 {
        let runs = Runs::redis(redis.url(), RunsConfig::default())
            .await
            .expect("runs connect to redis-server");
        apps.push(app(runs).await);
    }
    let [a, b] = <[_; 2]>::try_from(apps).map_err(|_| ()).expect("two");
    [a, b]
}

#[tokio::test]
async fn runs_on_redis_across_two_instances() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let [(a, on_a), (b, _on_b)] = two_instances(&redis).await;
    // Started on A, attached on B, mid-answer and after it.
    let id = start(&a, "ann", 30, 5).await;
    let mut on_b = attach(&b, "ann", &id, None).await;
    let first = on_b.next_event().await;
    drop(on_b);
    let seen = first.id.clone().expect("an id");
    let mut resumed = attach(&b, "ann", &id, Some(&seen)).await;
    let rest_of = rest(&mut resumed).await;
    assert_eq!(first.data + &tokens(&rest_of), expected(1, 30));
    let last = rest_of.last().expect("the rest").0.clone();
    assert_eq!(attach(&b, "ann", &id, Some(&last)).await.status(), 204);
    assert_eq!(attach(&b, "bob", &id, None).await.status(), 403);
    // Cancelled on B, stopped on A.
    a_cancel_stops_the_producer(&b, &a, &on_a).await;
    a_run_outlives_its_client_and_resumes(&a, &on_a).await;
}

/// `INFO commandstats`'s call count of `command` (lowercase).
async fn calls(redis: &redis_client::Conn, command: &str) -> u64 {
    redis.calls(command).await
}

mod redis_client {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;

    /// A bare RESP client for `INFO commandstats`.
    pub struct Conn(String);

    impl Conn {
        pub fn new(url: String) -> Self {
            Self(url.trim_start_matches("redis://").to_owned())
        }

        pub async fn calls(&self, command: &str) -> u64 {
            let stream = TcpStream::connect(&self.0).await.expect("redis-server");
            let (read, mut write) = stream.into_split();
            write
                .write_all(b"*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n")
                .await
                .expect("INFO is sent");
            let mut lines = BufReader::new(read).lines();
            let header = lines.next_line().await.expect("an answer").expect("a line");
            let len: usize = header
                .trim_start_matches('$')
                .parse()
                .expect("a bulk length");
            let mut read = 0;
            let wanted = format!("cmdstat_{command}:calls=");
            while read < len {
                let line = lines.next_line().await.expect("a line").expect("more");
                read += line.len() + 2;
                if let Some(rest) = line.strip_prefix(&wanted) {
                    return rest
                        .split(',')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                }
            }
            0
        }
    }
}

#[tokio::test]
async fn a_finished_run_of_10_000_tokens_is_replayed_on_another_instance_in_one_read() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let [(a, _), (b, _)] = two_instances(&redis).await;
    let stats = redis_client::Conn::new(redis.url());
    // The reads an attachment makes, by the run's length: one of its records, one of its
    // events, whether it holds 3 tokens or 10,000 (no read per event, nor per batch).
    let mut reads = Vec::new();
    for count in [3, 10_000] {
        let id = start(&a, "ann", count, 0).await;
        assert_eq!(ended(&a, &id).await, RunStatus::Done);
        let before = calls(&stats, "xrange").await;
        let mut events = attach(&b, "ann", &id, None).await;
        events.set_timeout(support::PATIENCE * 3);
        let all = rest(&mut events).await;
        assert_eq!(all.len(), count);
        assert_eq!(tokens(&all), expected(1, count));
        reads.push(calls(&stats, "xrange").await - before);
    }
    assert_eq!(reads, [2, 2]);
}
