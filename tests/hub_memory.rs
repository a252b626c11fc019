//! The attack of a topic per name: a million publications on a million distinct topics nobody
//! subscribes to. The in-process hub's memory follows its subscribers, so the process ends within
//! the hub's default bounds (100,000 topics, 64 MiB by its accounting), whatever the number of
//! names. A binary of its own: it counts every allocation of the process.

use nestish_core::MessageEvent;
use nestish_core::hub::{Hub, HubConfig, MemoryBackend};

#[path = "support/heap.rs"]
mod heap;

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

/// The process's resident memory, in bytes (`VmRSS` of `/proc/self/status`).
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: usize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib * 1024
}

const MIB: usize = 1 << 20;

#[tokio::test]
async fn a_million_topics_nobody_reads_leave_the_process_within_the_hubs_bounds() {
    const TOPICS: usize = 1_000_000;
    let config = HubConfig::default();
    let backend = MemoryBackend::new(config);
    let hub = Hub::with_backend(backend.clone());
    let (heap_before, rss_before) = (heap::live(), rss());
    // The heap the hub may hold: its byte bound, with room for what its accounting rounds.
    let heap_bound = config.max_bytes + config.max_bytes / 4;
    let mut peak_heap = 0;
    for n in 0..TOPICS {
        // As the chat's mentions did: a new topic per name, one event each.
        let topic = format!("notifications/user-{n}");
        hub.publish(&topic, MessageEvent::new("{\"from\":\"mallory\"}"))
            .await
            .expect("an idle topic always makes room");
        if n % 10_000 == 9_999 {
            let heap = heap::grown_since(heap_before);
            peak_heap = peak_heap.max(heap);
            // Checked as it goes: a hub without bounds fails here, long before the machine
            // runs out of memory.
            assert!(
                heap <= heap_bound,
                "after {} topics the heap grew by {} MiB, past {} MiB",
                n + 1,
                heap / MIB,
                heap_bound / MIB
            );
        }
    }
    let usage = backend.usage();
    let heap = heap::grown_since(heap_before);
    let rss_growth = rss().saturating_sub(rss_before);
    println!(
        "{TOPICS} topics published: the hub holds {} topics ({} evicted), {:.1} MiB by its \
         accounting; heap +{:.1} MiB (peak +{:.1} MiB); RSS +{:.1} MiB",
        usage.topics,
        usage.evicted,
        usage.bytes as f64 / MIB as f64,
        heap as f64 / MIB as f64,
        peak_heap as f64 / MIB as f64,
        rss_growth as f64 / MIB as f64,
    );
    assert!(usage.topics <= config.max_topics, "{usage:?}");
    assert!(usage.bytes <= config.max_bytes, "{usage:?}");
    assert_eq!(usage.evicted as usize, TOPICS - usage.topics);
    // The accounting is honest: the heap the hub holds is what it counts, within a quarter.
    assert!(
        heap <= usage.bytes + usage.bytes / 4 && usage.bytes <= heap + heap / 4,
        "accounted {} bytes, heap grew by {heap}",
        usage.bytes
    );
    // What the system sees: the heap, and the allocator's own slack on top.
    assert!(
        rss_growth <= 2 * heap_bound,
        "RSS grew by {} MiB",
        rss_growth / MIB
    );
    // The newest topics are still there, with their event, for a subscriber to come.
    let newest = format!("notifications/user-{}", TOPICS - 1);
    assert_eq!(hub.history(&newest).await.expect("in process").len(), 1);
}
