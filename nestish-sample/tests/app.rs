//! The sample's tests, written the way the guide's "Testing" chapter (`guide/11-testing.md`) shows: the app as it
//! ships (`nestish_sample::app()`), on a loopback port, read through `nestish_core::testing`.

use nestish_core::StatusCode;
use nestish_core::testing::{Test, TestApp};
use nestish_sample::metrics::MetricsGuard;
use serde_json::{Value, json};

async fn sample() -> TestApp {
    start(nestish_sample::app().expect("the default users")).await
}

async fn start(builder: nestish_core::AppBuilder) -> TestApp {
    Test::module(builder)
        .start()
        .await
        .expect("the sample starts")
}

/// Logs in as `name`, one of the default users (`ann`, `bob`: the password is the name and
/// `-password`); the session token its cookie carries.
async fn login(app: &TestApp, name: &str) -> String {
    let password = format!("{name}-password");
    let answer = app
        .post("/login")
        .json(&json!({ "name": name, "password": password }))
        .await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT, "{}", answer.text());
    let cookie = answer.header("set-cookie").expect("a session cookie");
    let token = cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("session="));
    token.expect("session=<token>").to_owned()
}

#[tokio::test]
async fn the_page_opens_an_event_source_that_says_hello_world() {
    let app = sample().await;
    let page = app.get("/").await;
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("new EventSource('/sse')"));

    let mut events = app.sse("/sse").await;
    for _ in 0..2 {
        let hello: Value = events.next_event().await.json().unwrap();
        assert_eq!(hello, json!({ "hello": "world" }));
    }
}

#[tokio::test]
async fn a_job_resumes_after_the_last_event_id_and_ends_with_204() {
    let app = sample().await;
    let session = login(&app, "ann").await;
    let mut progress = app
        .sse("/jobs/deploy/progress?every=10")
        .cookie("session", &session)
        .await;
    for step in 1..=5 {
        let event = progress.next_event().await;
        assert_eq!(event.id, Some(step.to_string()));
        assert_eq!(event.json::<Value>().unwrap()["step"], step);
    }
    // One connection's share is five steps; the browser reconnects after 500 ms with the
    // last id it saw.
    assert!(progress.end().await.is_empty());
    let mut rest = app
        .sse("/jobs/deploy/progress?every=10")
        .cookie("session", &session)
        .last_event_id("5")
        .await;
    let last = rest.next_event().await;
    assert_eq!(last.retry, Some(std::time::Duration::from_millis(500)));
    assert_eq!(
        last.json::<Value>().unwrap(),
        json!({ "job": "deploy", "of": 6, "resumedAfter": 5, "step": 6 })
    );

    for seen in ["6", "7", "4294967295"] {
        let done = app
            .get("/jobs/deploy/progress")
            .cookie("session", &session)
            .header("last-event-id", seen)
            .await;
        assert_eq!(
            done.status(),
            StatusCode::NO_CONTENT,
            "Last-Event-ID {seen}"
        );
    }
}

#[tokio::test]
async fn unknown_jobs_and_bad_queries_are_refused_before_streaming() {
    let app = sample().await;
    let session = login(&app, "ann").await;
    app.get("/jobs/launch/progress")
        .cookie("session", &session)
        .await
        .assert_error(StatusCode::NOT_FOUND, "no job named \"launch\"");
    let bad = app
        .get("/jobs/build/progress")
        .cookie("session", &session)
        .query(&[("every", "soon")])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/jobs/list")
            .cookie("session", &session)
            .await
            .json::<Vec<String>>(),
        ["build", "deploy", "test"]
    );
}

#[tokio::test]
async fn a_chat_message_reaches_every_open_page_once() {
    let app = sample().await;
    let (alice_session, bob_session) = (login(&app, "ann").await, login(&app, "bob").await);
    let mut alice = app
        .sse("/chat/events")
        .cookie("session", &alice_session)
        .await;
    let mut bob = app
        .sse("/chat/events")
        .cookie("session", &bob_session)
        .await;
    let posted = app
        .post("/chat/messages")
        .cookie("session", &alice_session)
        .json(&json!({ "text": "hi bob" }))
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let id = posted.json::<Value>()["id"].to_string();
    for page in [&mut alice, &mut bob] {
        let message = page.next_event().await;
        assert_eq!(message.id.as_deref(), Some(id.as_str()));
        assert_eq!(
            message.json::<Value>().unwrap(),
            json!({ "author": "ann", "text": "hi bob" })
        );
    }
    // A page that reloads with the last id it saw gets nothing twice: its first event is the
    // next message.
    let mut reloaded = app
        .sse("/chat/events")
        .cookie("session", &bob_session)
        .last_event_id(&id)
        .await;
    app.post("/chat/messages")
        .cookie("session", &bob_session)
        .json(&json!({ "text": "hi alice" }))
        .await;
    assert_eq!(
        reloaded.next_event().await.json::<Value>().unwrap()["text"],
        "hi alice"
    );
    let empty = app
        .post("/chat/messages")
        .cookie("session", &bob_session)
        .json(&json!({ "text": "" }))
        .await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        empty.json::<Value>()["message"],
        json!(["text: must not be blank", "text: length is lower than 1"])
    );
}

#[tokio::test]
async fn without_a_session_the_streams_and_posts_answer_401_and_nothing_opens() {
    let app = sample().await;
    for path in [
        "/chat/events",
        "/jobs/build/progress",
        "/notifications/events",
    ] {
        let refused = app.sse(path).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            refused.header("www-authenticate"),
            Some("Cookie name=\"session\""),
            "{path}"
        );
    }
    assert_eq!(app.handle().open_streams(), 0);
    app.post("/chat/messages")
        .json(&json!({ "text": "sneaky" }))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "log in first: POST /login");
    let made_up = app.sse("/chat/events").cookie("session", "made-up").await;
    assert_eq!(made_up.status(), StatusCode::UNAUTHORIZED);
    // The pages themselves are open: a logged-out browser loads them and is told to log in.
    assert_eq!(app.get("/chat").await.status(), StatusCode::OK);
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_mention_reaches_only_the_mentioned_users_notifications() {
    let app = sample().await;
    let (ann, bob) = (login(&app, "ann").await, login(&app, "bob").await);
    let mut for_ann = app
        .sse("/notifications/events")
        .cookie("session", &ann)
        .await;
    let mut for_bob = app
        .sse("/notifications/events")
        .cookie("session", &bob)
        .await;
    for (who, text) in [(&ann, "lunch, @bob?"), (&bob, "sure @ann")] {
        let posted = app
            .post("/chat/messages")
            .cookie("session", who)
            .json(&json!({ "text": text }))
            .await;
        assert_eq!(posted.status(), StatusCode::CREATED);
    }
    // Each a typed `mention`, checked by the testing module against the stream's description.
    for (stream, author, text) in [
        (&mut for_bob, "ann", "lunch, @bob?"),
        (&mut for_ann, "bob", "sure @ann"),
    ] {
        let mention = stream.next_event().await;
        assert_eq!(mention.event, "mention");
        assert_eq!(
            mention.json::<Value>().unwrap(),
            json!({ "author": author, "text": text })
        );
    }
}

#[tokio::test]
async fn logging_out_closes_the_session_and_a_bad_name_is_refused() {
    let app = sample().await;
    let session = login(&app, "ann").await;
    let out = app.post("/logout").cookie("session", &session).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        out.header("set-cookie"),
        Some("session=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/")
    );
    let after = app.sse("/chat/events").cookie("session", &session).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    let bad = app
        .post("/login")
        .json(&json!({ "name": "a b", "password": "pw" }))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json::<Value>()["message"],
        json!(["name: use ASCII letters, digits, `_` and `-` only"])
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_expires() {
    let app = sample().await;
    let answer = app
        .post("/login")
        .json(&json!({ "name": "ann", "password": "ann-password" }))
        .await;
    let cookie = answer.header("set-cookie").expect("a session cookie");
    let flags: Vec<&str> = cookie.split("; ").skip(1).collect();
    // Over plain HTTP, not `Secure` (the browser would never send it back); see
    // `tests/start_up.rs` for HTTPS.
    assert_eq!(
        flags,
        ["Max-Age=43200", "HttpOnly", "SameSite=Lax", "Path=/"],
        "{cookie}"
    );
}

#[tokio::test]
async fn a_login_by_name_alone_or_with_a_wrong_password_is_refused() {
    let app = sample().await;
    // The old login, by name only: a body that is not a login.
    let name_alone = app.post("/login").json(&json!({ "name": "ann" })).await;
    assert_eq!(name_alone.header("set-cookie"), None);
    assert_eq!(
        (name_alone.status(), name_alone.json::<Value>()),
        (
            StatusCode::BAD_REQUEST,
            json!({
                "statusCode": 400,
                "message": ["missing field `password` at line 1 column 14"],
                "error": "Bad Request"
            })
        )
    );
    // A wrong password and a name nobody has: the same 401, and no cookie.
    for (name, password) in [
        ("ann", "bob-password"),
        ("ann", "ANN-PASSWORD"),
        ("zed", "zed-password"),
        ("bob", "bob-password "),
    ] {
        let refused = app
            .post("/login")
            .json(&json!({ "name": name, "password": password }))
            .await;
        assert_eq!(refused.header("set-cookie"), None, "{name}");
        assert_eq!(
            refused.header("www-authenticate"),
            Some("Cookie name=\"session\""),
            "{name}"
        );
        refused.assert_error(StatusCode::UNAUTHORIZED, "wrong name or password");
    }
}

/// `token`'s `field`th dot-separated field rewritten by `respell`.
fn respelled(token: &str, field: usize, respell: impl Fn(&str) -> String) -> String {
    let mut fields: Vec<String> = token.split('.').map(str::to_owned).collect();
    fields[field] = respell(&fields[field]);
    fields.join(".")
}

#[tokio::test]
async fn a_session_is_accepted_in_one_spelling_and_no_spelling_outlives_its_logout() {
    let app = sample().await;
    let (session, other) = (login(&app, "ann").await, login(&app, "ann").await);
    // name.id.expiry.mac: the id and MAC in lower-case hex, the expiry in decimal.
    let spellings = [
        respelled(&session, 3, str::to_uppercase),
        respelled(&session, 1, str::to_uppercase),
        respelled(&session, 2, |expiry| format!("+{expiry}")),
        respelled(&session, 2, |expiry| format!("0{expiry}")),
        respelled(&session, 3, |mac| format!("+{mac}")),
        format!("{session}."),
    ];
    let streams = |token: String| {
        let app = &app;
        async move {
            app.sse("/chat/events")
                .cookie("session", &token)
                .await
                .status()
        }
    };
    for spelling in &spellings {
        assert_eq!(streams(spelling.clone()).await, 401, "{spelling}");
    }
    assert_eq!(streams(session.clone()).await, 200);
    let out = app.post("/logout").cookie("session", &session).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    for token in spellings.iter().chain([&session]) {
        assert_eq!(streams(token.clone()).await, 401, "{token}");
        let posted = app
            .post("/chat/messages")
            .cookie("session", token)
            .json(&json!({ "text": "still here?" }))
            .await;
        posted.assert_error(StatusCode::UNAUTHORIZED, "log in first: POST /login");
    }
    // A logout ends one session, not the user's others.
    assert_eq!(streams(other).await, 200);
}

#[tokio::test]
async fn a_session_of_a_name_that_is_not_a_user_is_refused() {
    // Signed with the app's own secret (as by an instance whose SAMPLE_USERS still had bob),
    // but bob is not a user of this one.
    let sessions = std::sync::Arc::new(nestish_sample::auth::Sessions::with_secret(
        b"shared by both instances",
    ));
    let users = nestish_sample::auth::Users::parse("ann:ann-password").expect("a valid list");
    let app = start(nestish_sample::app_with(users.into(), sessions.clone())).await;
    let bob = sessions.open("bob").expect("random bytes");
    let refused = app.sse("/chat/events").cookie("session", &bob).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let ann = sessions.open("ann").expect("random bytes");
    let admitted = app.sse("/chat/events").cookie("session", &ann).await;
    assert_eq!(admitted.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let users = nestish_sample::auth::Users::parse("ann:ann-password").expect("a valid list");
    let sessions = nestish_sample::auth::Sessions::random()
        .expect("random bytes")
        .lifetime(std::time::Duration::ZERO);
    let app = start(nestish_sample::app_with(users.into(), sessions.into())).await;
    let session = login(&app, "ann").await;
    let refused = app.sse("/chat/events").cookie("session", &session).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_message_mentions_at_most_five_names_and_only_users_are_notified() {
    let hub = nestish_core::hub::Hub::new();
    let app = start(
        nestish_sample::app()
            .expect("the default users")
            .provide(hub.clone()),
    )
    .await;
    let ann = login(&app, "ann").await;
    let post = |text: &'static str| {
        app.post("/chat/messages")
            .cookie("session", &ann)
            .json(&json!({ "text": text }))
    };
    let too_many = post("@a @b @c @d @e @f").await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        too_many.json::<Value>()["message"],
        json!(["text: mentions more than 5 names"])
    );
    // Nothing of it was published.
    assert!(hub.history("chat").await.expect("history").is_empty());
    // Five names, a repeated one counted once: published, and only bob, a user, notified.
    assert_eq!(post("@bob @zed @yan @xi @wu @bob").await.status(), 201);
    assert_eq!(hub.history("chat").await.expect("history").len(), 1);
    assert_eq!(
        hub.history("notifications/bob")
            .await
            .expect("history")
            .len(),
        1
    );
    for stranger in ["zed", "yan", "xi", "wu"] {
        let topic = format!("notifications/{stranger}");
        assert!(
            hub.history(&topic).await.expect("history").is_empty(),
            "{topic}"
        );
    }
}

#[tokio::test]
async fn health_and_metrics_answer_an_operator() {
    // As started with METRICS_TOKEN=scraper-token.
    let app = Test::module(
        nestish_sample::app()
            .expect("the default users")
            .provide(MetricsGuard::new(Some("scraper-token"))),
    )
    .start()
    .await
    .expect("the sample starts");
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>()["status"], "ok");
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    app.get("/jobs/list").await;
    for stranger in [None, Some("Bearer guess")] {
        let mut scrape = app.get("/metrics");
        if let Some(authorization) = stranger {
            scrape = scrape.header("authorization", authorization);
        }
        let refused = scrape.await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{stranger:?}");
        assert!(
            refused
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer"))
        );
    }
    let scraped = app
        .get("/metrics")
        .header("authorization", "Bearer scraper-token")
        .await
        .text();
    assert!(
        scraped
            .lines()
            .any(|line| line.starts_with("nestish_requests_total{")
                && line.contains(r#"route="/jobs/list""#)),
        "{scraped}"
    );
}

#[tokio::test]
async fn without_metrics_token_the_metrics_are_off() {
    let app = Test::module(
        nestish_sample::app()
            .expect("the default users")
            .provide(MetricsGuard::new(None)),
    )
    .start()
    .await
    .expect("the sample starts");
    let refused = app
        .get("/metrics")
        .header("authorization", "Bearer anything")
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused.text().contains("METRICS_TOKEN"),
        "{}",
        refused.text()
    );
}
