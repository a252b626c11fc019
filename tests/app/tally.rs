//! The app's own figures, as `AppHandle` reads them: every answer by status (a route's, a 404,
//! a guard's refusal) and every event its streams sent, a busy stream's batches included.

use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::testing::{Test, TestApp};
use nestish_core::{
    AppHandle, Guard, GuardRequest, HttpError, MessageEvent, StatusCode, controller, get, sse,
    use_guards,
};

/// Two streams, a plain route and a guarded one.
#[derive(Default)]
pub struct TallyController;

/// Refuses everyone.
pub struct Nobody;

impl Guard for Nobody {
    async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        Err(HttpError::forbidden("nobody"))
    }
}

#[controller("tally")]
impl TallyController {
    /// 200 events at once (three batches and a rest), then silence.
    #[sse("burst")]
    fn burst(&self) -> impl Stream<Item = MessageEvent> + use<> {
        stream::iter((0..200).map(|n| MessageEvent::new(n.to_string()))).chain(stream::pending())
    }

    /// One event, then silence.
    #[sse("one")]
    fn one(&self) -> impl Stream<Item = MessageEvent> + use<> {
        stream::once(async { MessageEvent::new("only") }).chain(stream::pending())
    }

    #[get("plain")]
    fn plain(&self) -> &'static str {
        "plain"
    }

    #[get("closed")]
    #[use_guards(Nobody)]
    fn closed(&self) -> &'static str {
        "never"
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(TallyController,)>()
        .provide(Nobody)
        .start()
        .await
        .expect("the tally app starts")
}

/// Waits (up to 5 s) until `events_sent` reaches `want`, and returns what it last read.
async fn events_sent_reach(handle: &AppHandle, want: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let sent = handle.events_sent();
        if sent >= want || tokio::time::Instant::now() > deadline {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn every_answer_is_counted_by_status_and_every_event_sent_once() {
    let app = app().await;
    let handle = app.handle().clone();
    assert_eq!(handle.events_sent(), 0);

    let mut burst = app.sse("/tally/burst").await;
    for n in 0..200 {
        assert_eq!(burst.next_event().await.data, n.to_string());
    }
    // The burst's last 8 events (200 = 3 x 64 + 8) are told as the stream falls quiet.
    assert_eq!(events_sent_reach(&handle, 200).await, 200);

    let mut one = app.sse("/tally/one").await;
    assert_eq!(one.next_event().await.data, "only");
    assert_eq!(events_sent_reach(&handle, 201).await, 201);

    assert_eq!(app.get("/tally/plain").await.status(), StatusCode::OK);
    assert_eq!(app.get("/tally/plain").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/no-such-route").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/tally/closed").await.status(),
        StatusCode::FORBIDDEN
    );

    // Two streams and two plain answers of 200, a 404 and a 403; nothing counted twice.
    let by_status = handle.answered_by_status();
    assert_eq!(
        by_status,
        [
            (StatusCode::OK, 4),
            (StatusCode::FORBIDDEN, 1),
            (StatusCode::NOT_FOUND, 1)
        ]
    );
    assert_eq!(handle.events_sent(), 201, "no event counted twice");
    drop((burst, one));
}
