//! `/dashboard`: the app's own figures, live: open streams, events per second and requests by
//! status, read from [`AppHandle`] once a second; for logged-in users, as the other pages'
//! streams are (the figures say how busy the server is, which is not for everyone).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{AppHandle, SseEvent, controller, inject, sse, use_guards};

use crate::auth::AuthGuard;

/// The app's figures at one moment, as `GET /dashboard/figures` sends them.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// SSE streams open now (this one included).
    pub open_streams: u64,
    /// Client connections open now.
    pub open_connections: u64,
    /// Events the app's streams sent in the last second, heartbeats not included.
    pub events_per_second: u64,
    /// Every answer the app has given since it started, by status (`"200"`, `"404"`…): its
    /// routes', 404s, guards' refusals, built-in routes'.
    pub requests_by_status: BTreeMap<String, u64>,
}

/// The dashboard's stream: the contract its page and the OpenAPI document read.
#[derive(SseEvent)]
pub enum DashboardEvents {
    /// The figures, once a second. Named `message`, it goes without an `event:` line.
    #[event(rename = "message")]
    Figures(Figures),
}

/// `/dashboard/figures`: the app's figures as a stream; logged-in users only.
pub struct DashboardController {
    app: Arc<AppHandle>,
}

#[controller("dashboard")]
#[use_guards(AuthGuard)]
impl DashboardController {
    #[inject]
    fn new(app: Arc<AppHandle>) -> Self {
        Self { app }
    }

    /// The app's figures now, then once a second.
    #[sse("figures")]
    fn figures(&self) -> impl Stream<Item = DashboardEvents> + Send + 'static {
        let app = Arc::clone(&self.app);
        let mut events_before = app.events_sent();
        nestish_core::interval(Duration::from_secs(1)).map(move |_| {
            let events = app.events_sent();
            let events_per_second = events.saturating_sub(events_before);
            events_before = events;
            DashboardEvents::Figures(Figures {
                open_streams: app.open_streams() as u64,
                open_connections: app.open_connections() as u64,
                events_per_second,
                requests_by_status: app
                    .answered_by_status()
                    .into_iter()
                    .map(|(status, count)| (status.as_str().to_owned(), count))
                    .collect(),
            })
        })
    }
}
