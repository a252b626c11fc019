//! What a run with nobody attached costs in process: its stored events and one task. A run of
//! 10,000 short tokens (5 to 10 bytes, as a model's) is stored by the in-process runs, and the
//! heap the whole process holds afterwards, less what it held before, is divided by the tokens:
//! the guide's figure (`guide/09-runs.md`) per stored token.

#[path = "support/heap.rs"]
mod heap;

use futures::StreamExt;
use nestish_core::run::{RunStatus, Runs};

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

const TOKENS: usize = 10_000;

/// The guide states under 200 bytes per stored token; more fails here.
const BOUND: usize = 200;

#[tokio::test(flavor = "current_thread")]
async fn a_run_with_nobody_attached_holds_its_events_and_little_else() {
    let runs = Runs::new();
    // A first run sets up the task machinery and the hub's tables, which later runs share.
    let warm = runs
        .start("ann", futures::stream::iter(["x"]))
        .await
        .expect("starts");
    runs.attach("ann", warm.as_str(), None)
        .await
        .expect("attaches")
        .count()
        .await;

    let before = heap::live();
    let model = futures::stream::iter(1..=TOKENS).map(|n| format!("t{n} "));
    let id = runs.start("ann", model).await.expect("starts");
    while runs.status("ann", id.as_str()).await.expect("a status") == RunStatus::Running {
        tokio::task::yield_now().await;
    }
    let per_token = heap::grown_since(before) / TOKENS;
    println!("a finished run with nobody attached: {per_token} bytes per stored token");
    assert!(per_token < BOUND, "{per_token} bytes per stored token");
}
