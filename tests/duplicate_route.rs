//! Two methods declaring the same method and path: `build()` refuses, naming both.
//! (A binary of its own: its route table is deliberately broken.)

use nestish_core::{Error, NestFactory, controller, get, sse};

#[derive(Default)]
pub struct FirstController;

#[controller("events")]
impl FirstController {
    #[get("latest")]
    fn latest(&self) -> &'static str {
        "first"
    }
}

#[derive(Default)]
pub struct SecondController;

#[controller]
impl SecondController {
    // `/events/latest/` is normalised to `/events/latest`, and an SSE route is a GET route.
    #[sse("/events/latest/")]
    fn latest_events(
        &self,
    ) -> impl futures::Stream<Item = nestish_core::MessageEvent> + Send + 'static {
        futures::stream::empty()
    }
}

#[test]
fn build_fails_and_names_both_declarations() {
    let error = NestFactory::create()
        .build()
        .expect_err("a duplicate route must not build");
    let Error::DuplicateRoute {
        method,
        path,
        first,
        second,
    } = &error
    else {
        panic!("expected DuplicateRoute, got {error:?}");
    };
    assert_eq!((*method, *path), ("GET", "/events/latest"));
    let mut sources = [first, second].map(|s| (s.controller, s.method, s.file, s.line));
    sources.sort();
    assert_eq!(
        sources,
        [
            ("FirstController", "latest", file!(), 12),
            ("SecondController", "latest_events", file!(), 24),
        ]
    );
    let message = error.to_string();
    assert!(
        message.starts_with("duplicate route {/events/latest, GET}: "),
        "{message}"
    );
    assert!(
        message.contains(&format!("FirstController::latest ({}:12)", file!())),
        "{message}"
    );
    assert!(
        message.contains(&format!("SecondController::latest_events ({}:24)", file!())),
        "{message}"
    );
}
