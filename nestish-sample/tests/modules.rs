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

#[test]
fn a_bad_setting_fails_start_up_naming_its_variable() {
    let error = settings(&[("PORT", "eighty"), ("SESSION_SECRET", "")]).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("PORT: invalid"), "{message}");
    assert!(message.contains("SESSION_SECRET: invalid"), "{message}");
    assert!(!message.contains("eighty"), "{message}");
    assert_eq!(settings(&[]).unwrap().port, 3000);
}
