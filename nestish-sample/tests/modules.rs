//! The sample as `main` starts it: from its modules and its settings (read as the configuration
//! module reads them), serving the same URLs as ever; a bad setting names its variable.

use std::sync::Arc;

use nestish_core::testing::{Test, TestApp};
use nestish_core::{ConfigSource, StatusCode};
use nestish_sample::modules::{SampleConfig, app_module};
use serde_json::json;

fn settings(vars: &[(&str, &str)]) -> Result<SampleConfig, nestish_core::Error> {
    ConfigSource::new()
        .without_env_file()
        .vars(vars.iter().copied())
        .read_validated::<SampleConfig>()
}

async fn sample(vars: &[(&str, &str)]) -> TestApp {
    let config = Arc::new(settings(vars).expect("the settings are valid"));
    Test::module(app_module(config))
        .start()
        .await
        .expect("the sample starts from its modules")
}

#[tokio::test]
async fn the_modules_serve_every_url_of_the_sample() {
    let app = sample(&[
        ("SESSION_SECRET", "a secret the test shares"),
        ("SAMPLE_USERS", "ann:from-the-config"),
        ("METRICS_TOKEN", "scraper-token"),
    ])
    .await;
    for page in ["/", "/login", "/jobs", "/chat"] {
        assert_eq!(app.get(page).await.status(), StatusCode::OK, "{page}");
    }
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    let mut hello = app.sse("/sse").await;
    assert_eq!(hello.next_event().await.data, r#"{"hello":"world"}"#);

    // Logged in through the auth module, the chat module's hub carries a message to the
    // notifications module's stream of the user it mentions.
    // The users are the configuration's: the default password is not ann's here.
    let refused = app
        .post("/login")
        .json(&json!({ "name": "ann", "password": "ann-password" }))
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let login = app
        .post("/login")
        .json(&json!({ "name": "ann", "password": "from-the-config" }))
        .await;
    assert_eq!(login.status(), StatusCode::NO_CONTENT, "{}", login.text());
    let cookie = login.header("set-cookie").unwrap();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("session=")
        .unwrap();
    let mut mentions = app
        .sse("/notifications/events")
        .cookie("session", token)
        .await;
    let posted = app
        .post("/chat/messages")
        .cookie("session", token)
        .json(&json!({ "text": "hi @ann" }))
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED, "{}", posted.text());
    let mention = mentions.next_event().await;
    assert_eq!(mention.event, "mention");
    assert!(mention.data.contains("hi @ann"), "{}", mention.data);
    // The metrics answer the configured token only.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    let scrape = app
        .get("/metrics")
        .header("authorization", "Bearer scraper-token")
        .await;
    assert_eq!(scrape.status(), StatusCode::OK);
    // A route only a guard lets through still asks for the session.
    assert_eq!(
        app.get("/chat/events").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn its_interceptors_time_and_stamp_and_its_filter_dates_every_error() {
    let app = sample(&[
        ("SESSION_SECRET", "a secret the test shares"),
        ("SAMPLE_USERS", "ann:pw"),
    ])
    .await;
    // NestJS's body, with the path and the time, for nestish's own 404 and 401 alike.
    let missing = app.get("/nope?x=1").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body = missing.json::<serde_json::Value>();
    assert_eq!(body["statusCode"], 404);
    assert_eq!(body["message"], "Cannot GET /nope?x=1");
    assert_eq!(body["error"], "Not Found");
    assert_eq!(body["path"], "/nope");
    let timestamp = body["timestamp"].as_str().expect("a timestamp");
    assert!(
        timestamp.len() == 24 && timestamp.ends_with('Z') && timestamp.starts_with("20"),
        "{timestamp}"
    );
    let refused = app.get("/chat/events").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json::<serde_json::Value>()["path"], "/chat/events");
    assert!(refused.header("www-authenticate").is_some(), "kept");

    // Every routed answer is timed.
    let page = app.get("/chat").await;
    let timing = page.header("server-timing").expect("Server-Timing");
    assert!(timing.starts_with("handler;dur="), "{timing}");

    // The chat's messages carry the server's time.
    let login = app
        .post("/login")
        .json(&json!({ "name": "ann", "password": "pw" }))
        .await;
    let cookie = login.header("set-cookie").unwrap();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("session=")
        .unwrap();
    let mut chat = app.sse("/chat/events").cookie("session", token).await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let posted = app
        .post("/chat/messages")
        .cookie("session", token)
        .json(&json!({ "text": "what time is it?" }))
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED, "{}", posted.text());
    let message = chat.next_event().await.json::<serde_json::Value>().unwrap();
    assert_eq!(message["text"], "what time is it?");
    let stamped = message["serverTime"].as_u64().expect("a server time");
    assert!(stamped >= before, "{stamped} < {before}");
}

#[test]
fn a_bad_setting_fails_start_up_naming_its_variable() {
    let error = settings(&[("PORT", "eighty"), ("SESSION_SECRET", "")]).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("PORT: invalid"), "{message}");
    assert!(message.contains("SESSION_SECRET: invalid"), "{message}");
    assert!(!message.contains("eighty"), "{message}");
    assert_eq!(settings(&[]).unwrap().port, 3000);
}
