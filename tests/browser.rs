//! Headless Chromium, through chromedriver: the sample page works, and the browser's own
//! `EventSource` reads every golden vector exactly as Node.js and the spec say it must.

mod support;

use std::time::Duration;

use serde_json::json;
use support::vectors::{CUSTOM_TYPES, Seen, expected_seen};
use support::webdriver::Browser;

// Linking the sample links its controller, which the app finds through `inventory`.
use nestish_sample as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_page_lists_hello_world_every_second() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let addr = support::start().await;
    browser.goto(&format!("http://{addr}/")).await;
    let mut items = Vec::new();
    for _ in 0..100 {
        let found = browser
            .execute(
                "return [...document.querySelectorAll('li.message')].map(li => li.textContent);",
                json!([]),
            )
            .await;
        items = serde_json::from_value::<Vec<String>>(found).expect("a list of texts");
        if items.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(items.len() >= 3, "only {items:?} after 10 s");
    assert!(items.iter().all(|text| text == "hello world"), "{items:?}");
    let status = browser
        .execute(
            "return document.getElementById('status').textContent;",
            json!([]),
        )
        .await;
    assert_eq!(status, "connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_eventsource_receives_every_vector() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let addr = support::start().await;
    // Same origin as the stream, so the page may open it.
    browser.goto(&format!("http://{addr}/")).await;
    let expected = expected_seen();
    let script = format!(
        "{}\nconst done = arguments[arguments.length - 1];\n\
         collect(EventSource, arguments[0], arguments[1], arguments[2])\n\
           .then(done, (error) => done({{ error: String(error) }}));",
        include_str!("clients/collect.js")
    );
    let seen = browser
        .execute_async(
            &script,
            json!([
                format!("http://{addr}/vectors"),
                CUSTOM_TYPES,
                expected.len()
            ]),
        )
        .await;
    let seen: Vec<Seen> = serde_json::from_value(seen.clone())
        .unwrap_or_else(|_| panic!("Chromium did not collect the events: {seen}"));
    assert_eq!(seen, expected);
}
