//! The sample's assistant in headless Chromium: an answer reloaded in the middle continues where
//! it was, a second window on the same run shows the same answer, and Stop cancels it.

mod support;

use serde_json::{Value, json};
use support::webdriver::{Browser, log_in};

/// Waits, in the page, until the answer has at least `words` words or the status is `status`
/// (a MutationObserver: no polling from here); returns `[status, answer]`.
async fn until(browser: &Browser, words: usize, status: &str) -> (String, String) {
    let found: Value = browser
        .execute_async(
            "const [words, wanted, done] = arguments;
             const read = () => [document.getElementById('status').textContent,
                                 document.getElementById('answer').textContent];
             const check = () => {
               const [status, answer] = read();
               if (status === wanted || answer.split(' ').filter(Boolean).length >= words) {
                 observer.disconnect();
                 done(read());
                 return true;
               }
               return false;
             };
             const observer = new MutationObserver(check);
             if (!check()) observer.observe(document.body,
               { subtree: true, childList: true, characterData: true });",
            json!([words, status]),
        )
        .await;
    serde_json::from_value(found).expect("[status, answer]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_survives_a_reload_shows_in_a_second_window_and_stops_on_stop() {
    let (Some(browser), Some(second)) = (Browser::launch().await, Browser::launch().await) else {
        return;
    };
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
    log_in(&browser, addr, "ann").await;
    log_in(&second, addr, "ann").await;

    // 40 tokens, 100 ms apart; reloaded after 5.
    browser.goto(&format!("http://{addr}/assistant")).await;
    let id = browser
        .execute_async("ask(40, 100).then(arguments[0]);", json!([]))
        .await;
    let id = id.as_str().expect("the run's id").to_owned();
    let (status, _) = until(&browser, 5, "done").await;
    assert_eq!(status, "answering");
    browser.execute("location.reload();", json!([])).await;

    // The same URL in a second window, while it goes on.
    second
        .goto(&format!("http://{addr}/assistant#run={id}"))
        .await;
    let whole = nestish_sample::assistant::answer(40);
    for window in [&browser, &second] {
        let (status, answer) = until(window, usize::MAX, "done").await;
        assert_eq!((status.as_str(), answer.as_str()), ("done", whole.as_str()));
    }

    // Stop: a long answer is cut, and stays cut in both windows.
    let id = browser
        .execute_async("ask(2000, 50).then(arguments[0]);", json!([]))
        .await;
    let id = id.as_str().expect("the run's id").to_owned();
    second
        .goto(&format!("http://{addr}/assistant#run={id}"))
        .await;
    second.execute("location.reload();", json!([])).await;
    until(&browser, 3, "stopped").await;
    browser
        .execute("document.getElementById('stop').click();", json!([]))
        .await;
    for window in [&browser, &second] {
        let (status, answer) = until(window, usize::MAX, "stopped").await;
        assert_eq!(status, "stopped");
        assert!(answer.len() < nestish_sample::assistant::answer(2000).len());
        assert!(nestish_sample::assistant::answer(2000).starts_with(&answer));
    }
}
