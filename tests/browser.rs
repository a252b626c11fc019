//! Headless Chromium, through chromedriver: the sample page works, and the browser's own
//! `EventSource` reads every golden vector exactly as Node.js and the spec say it must.

mod support;

use std::time::Duration;

use serde_json::json;
use support::vectors::{CUSTOM_TYPES, Seen, expected_seen};
use support::webdriver::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_page_lists_hello_world_every_second() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
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

/// The text of the element `id` of the page, once `until` holds for it (10 s at most).
async fn text_of(browser: &Browser, id: &str, until: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        let found = browser
            .execute(
                "return document.getElementById(arguments[0]).textContent;",
                json!([id]),
            )
            .await;
        text = found.as_str().unwrap_or_default().to_owned();
        if until(&text) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_out_chat_page_is_refused_401_and_no_stream_opens() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let server = support::serve(nestish_sample::app().expect("the default users")).await;
    let addr = server.addr;
    // The page loads, its EventSource gets 401 and gives up: no reconnection, no stream.
    browser.goto(&format!("http://{addr}/chat")).await;
    let status = text_of(&browser, "status", |text| text.starts_with("not logged in")).await;
    assert_eq!(status, "not logged in: log in");
    assert_eq!(server.handle.open_streams(), 0);

    // The login page's form, with a wrong password: refused, and said so.
    browser.goto(&format!("http://{addr}/login")).await;
    let fill = "document.getElementById('name').value = arguments[0];\
                document.getElementById('password').value = arguments[1];\
                document.querySelector('#form button').click();";
    browser.execute(fill, json!(["ann", "bob-password"])).await;
    let said = text_of(&browser, "status", |text| !text.is_empty()).await;
    assert_eq!(said, "wrong name or password");

    // Logged in, the same page streams the chat and the user's own notifications.
    support::webdriver::log_in(&browser, addr, "ann").await;
    browser.goto(&format!("http://{addr}/chat")).await;
    assert_eq!(
        text_of(&browser, "status", |text| text == "connected").await,
        "connected"
    );
    let send = "const done = arguments[arguments.length - 1];\
                send(arguments[0]).then(done, (e) => done(String(e)));";
    let posted = browser
        .execute_async(send, json!(["note to self, @ann"]))
        .await;
    assert_eq!(posted, 201);
    until_chat_shows(&browser, &["ann: note to self, @ann".to_owned()]).await;
    let mention = text_of(&browser, "notifications", |text| !text.is_empty()).await;
    assert_eq!(mention, "ann: note to self, @ann");
    assert_eq!(
        server.handle.open_streams(),
        2,
        "the chat and the notifications"
    );
}

/// What `script` returns once `until` holds for it (20 s at most): a wait on the page's own
/// state, polled, not a fixed sleep.
async fn value_once(
    browser: &Browser,
    script: &str,
    until: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut value = serde_json::Value::Null;
    for _ in 0..200 {
        value = browser.execute(script, json!([])).await;
        if until(&value) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    value
}

/// The `background-color` the stylesheet gives `body` in the light scheme (`--bg`): the
/// sign that `/style.css` is applied, or its dark one.
const STYLED_BODY: [&str; 2] = ["rgb(247, 247, 249)", "rgb(21, 23, 28)"];

const BODY_BACKGROUND: &str = "return getComputedStyle(document.body).backgroundColor;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_plots_the_apps_own_figures_as_they_move() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let server = support::serve(nestish_sample::app().expect("the default users")).await;
    let addr = server.addr;
    // The login page is styled before anyone logs in.
    browser.goto(&format!("http://{addr}/login")).await;
    let background = browser.execute(BODY_BACKGROUND, json!([])).await;
    assert!(
        STYLED_BODY.contains(&background.as_str().unwrap_or_default()),
        "{background}"
    );
    support::webdriver::log_in(&browser, addr, "ann").await;
    for page in ["chat", "jobs", "assistant"] {
        browser.goto(&format!("http://{addr}/{page}")).await;
        let background = browser.execute(BODY_BACKGROUND, json!([])).await;
        assert!(
            STYLED_BODY.contains(&background.as_str().unwrap_or_default()),
            "/{page}: {background}"
        );
    }

    browser.goto(&format!("http://{addr}/dashboard")).await;
    let background = browser.execute(BODY_BACKGROUND, json!([])).await;
    assert!(
        STYLED_BODY.contains(&background.as_str().unwrap_or_default()),
        "{background}"
    );
    // The stream is open: the first figures count it.
    let streams = value_once(
        &browser,
        "return document.getElementById('streams').textContent;",
        |text| {
            text.as_str()
                .is_some_and(|text| text.parse::<u32>().is_ok_and(|n| n >= 1))
        },
    )
    .await;
    assert!(
        streams.as_str().is_some_and(|text| text != "–"),
        "{streams}"
    );
    // A request no route takes, from outside the page: its 404 must reach the chart.
    let missing = support::http1::get(addr, "/no-such-page", &[]).await;
    assert_eq!(missing.status(), 404);
    let statuses = value_once(
        &browser,
        "return document.body.dataset.statuses || null;",
        |text| {
            text.as_str()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                .is_some_and(|statuses| statuses["404"].as_u64() >= Some(1))
        },
    )
    .await;
    let statuses: serde_json::Value =
        serde_json::from_str(statuses.as_str().expect("the statuses seen")).expect("JSON");
    assert!(statuses["404"].as_u64() >= Some(1), "{statuses}");
    assert!(statuses["200"].as_u64() >= Some(1), "{statuses}");
    // The chart has moved: at least three points, and a series for the 404s.
    let points = value_once(
        &browser,
        "return Number(document.getElementById('chart').dataset.points || 0);",
        |points| points.as_u64() >= Some(3),
    )
    .await;
    assert!(points.as_u64() >= Some(3), "{points} points");
    let series = browser
        .execute(
            "return [...document.querySelectorAll('#chart polyline')].map(l => l.dataset.series);",
            json!([]),
        )
        .await;
    assert!(
        series
            .as_array()
            .is_some_and(|all| all.contains(&json!("404/s"))),
        "{series}"
    );
    let png = browser.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let path = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from)
        .join("nestish-dashboard.png");
    std::fs::write(&path, png).expect("the screenshot written");
    println!("dashboard screenshot: {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_page_resumes_across_reconnections_until_done() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
    support::webdriver::log_in(&browser, addr, "ann").await;
    // 12 steps, 5 per connection: the browser reconnects twice with Last-Event-ID, then gets 204.
    browser
        .goto(&format!("http://{addr}/jobs?job=build&every=20"))
        .await;
    let mut status = String::new();
    for _ in 0..100 {
        let found = browser
            .execute(
                "return document.getElementById('status').textContent;",
                json!([]),
            )
            .await;
        status = found.as_str().unwrap_or_default().to_owned();
        if status == "build: done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "build: done");
    let steps = browser
        .execute(
            "return [...document.querySelectorAll('li.step')].map(li => li.textContent);",
            json!([]),
        )
        .await;
    let steps: Vec<String> = serde_json::from_value(steps).expect("a list of texts");
    let expected: Vec<String> = (1..=12)
        .map(|n| match n {
            1..=5 => format!("step {n} of 12"),
            6..=10 => format!("step {n} of 12 (resumed after step 5)"),
            _ => format!("step {n} of 12 (resumed after step 10)"),
        })
        .collect();
    assert_eq!(steps, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_eventsource_receives_every_vector() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
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

/// The texts of a chat page's messages, in order.
async fn chat_messages(browser: &Browser) -> Vec<String> {
    let found = browser
        .execute(
            "return [...document.querySelectorAll('li.chat-message')].map(li => li.textContent);",
            json!([]),
        )
        .await;
    serde_json::from_value(found).expect("a list of texts")
}

/// Waits until `browser`'s chat shows exactly `expected`.
async fn until_chat_shows(browser: &Browser, expected: &[String]) {
    let mut shown = Vec::new();
    for _ in 0..150 {
        shown = chat_messages(browser).await;
        if shown == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the chat shows {shown:?}, expected {expected:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chat_pages_see_every_message_once_across_reconnections_and_reloads() {
    let (Some(first), Some(second)) = (Browser::launch().await, Browser::launch().await) else {
        return;
    };
    // Every stream ends after 700 ms, so both pages reconnect, with Last-Event-ID, many times
    // while the messages arrive.
    let app = nestish_sample::app()
        .expect("the default users")
        .sse_max_lifetime(Some(Duration::from_millis(700)));
    let addr = support::start_with(app).await;
    let page = format!("http://{addr}/chat");
    support::webdriver::log_in(&first, addr, "ann").await;
    support::webdriver::log_in(&second, addr, "bob").await;
    first.goto(&page).await;
    second.goto(&page).await;

    let send = "const done = arguments[arguments.length - 1];\
                send(arguments[0]).then(done, (e) => done(String(e)));";
    let mut expected = Vec::new();
    for n in 1..=12 {
        let status = first
            .execute_async(send, json!([format!("hello {n}")]))
            .await;
        assert_eq!(status, 201);
        expected.push(format!("ann: hello {n}"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    until_chat_shows(&first, &expected).await;
    until_chat_shows(&second, &expected).await;

    // A reload starts from the history: the same messages, once each; then live again.
    second.goto(&page).await;
    until_chat_shows(&second, &expected).await;
    let status = second.execute_async(send, json!(["back again"])).await;
    assert_eq!(status, 201);
    expected.push("bob: back again".to_owned());
    until_chat_shows(&first, &expected).await;
    until_chat_shows(&second, &expected).await;
}
