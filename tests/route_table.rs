//! The route table logged at start-up shows each route's final path: behind the global prefix
//! and its version, or without the prefix where excluded.
//!
//! A binary of one test: `tracing` decides once per log call site whether anyone listens, so a
//! capture installed while another test's thread logs from the same call site for the first
//! time can miss every line of it.

mod support;
#[path = "support/versioned_api.rs"]
mod versioned_api;

use support::logs;

#[test]
fn the_route_table_shows_the_final_paths() {
    let (captured, guard) = logs::capture(tracing::Level::INFO);
    let _app = versioned_api::api().build().unwrap();
    drop(guard);
    for line in [
        "Mapped {/api/v1/orders, GET} route",
        "Mapped {/api/v2/orders/:id, GET} route",
        "Mapped {/api/v1/orders/count, GET} route",
        "Mapped {/api/v2/orders/count, GET} route",
        "Mapped {/api/orders/all, GET} route",
        "Mapped {/api/v2/orders/live, GET} (SSE) route",
        "Mapped {/api/v1/tenants/:tenant/orders/:id, GET} route",
        "Mapped {/pages/:name, GET} route",
        "Mapped {/api/status, GET} route",
    ] {
        assert_eq!(
            captured.lines(&[line]).len(),
            1,
            "{line} not logged once in:\n{:?}",
            captured.lines(&["Mapped"])
        );
    }
}
