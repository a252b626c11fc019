//! Node.js's built-in `EventSource` (undici's, which we did not write) reads every golden vector
//! from a real socket exactly as a spec-following client must.

use crate::support;

use nestish_core::NestFactory;
use support::tools;
use support::vectors::{CUSTOM_TYPES, Seen, VectorsController, expected_seen};
use tokio::process::Command;

#[tokio::test]
async fn node_eventsource_receives_every_vector() {
    if !tools::available("node") {
        return;
    }
    let addr =
        support::start_with(NestFactory::create().controllers::<(VectorsController,)>()).await;
    let expected = expected_seen();
    let output = Command::new("node")
        .arg("--experimental-eventsource")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/node-eventsource.mjs"
        ))
        .arg(format!("http://{addr}/vectors"))
        .arg(expected.len().to_string())
        .arg(serde_json::to_string(&CUSTOM_TYPES).expect("JSON"))
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Vec<Seen> = serde_json::from_slice(&output.stdout).expect("node prints JSON");
    if seen != expected {
        // Node 20's undici ignores an empty `id:` (it tests `if (event.id && ...)`), where the
        // spec resets the last event id; newer undici follows the spec. Our bytes are the same
        // either way (`id: \n`, checked in sse_golden.rs): accept exactly that deviation.
        assert_eq!(seen, with_undici_empty_id_bug(&expected));
        eprintln!("note: this Node.js keeps the last event id on an empty `id:` (undici bug)");
    }
}

/// What a client that ignores an empty `id:` field dispatches for the vectors.
fn with_undici_empty_id_bug(expected: &[Seen]) -> Vec<Seen> {
    let mut previous = String::new();
    expected
        .iter()
        .map(|seen| {
            let mut seen = seen.clone();
            if seen.last_event_id.is_empty() {
                seen.last_event_id.clone_from(&previous);
            }
            previous.clone_from(&seen.last_event_id);
            seen
        })
        .collect()
}
