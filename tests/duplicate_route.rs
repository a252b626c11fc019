//! The route table at start-up: two methods declaring the same method and path make `build()`
//! refuse, naming both; a table without them is logged, a sorted line per route. (A binary of
//! its own: its route table is deliberately broken.)

mod support;

use nestish_core::{Error, NestFactory, controller, get, post, sse};

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
            ("FirstController", "latest", file!(), 15),
            ("SecondController", "latest_events", file!(), 27),
        ]
    );
    let message = error.to_string();
    assert!(
        message.starts_with("duplicate route {/events/latest, GET}: "),
        "{message}"
    );
    assert!(
        message.contains(&format!("FirstController::latest ({}:15)", file!())),
        "{message}"
    );
    assert!(
        message.contains(&format!("SecondController::latest_events ({}:27)", file!())),
        "{message}"
    );
}

/// Routes of both kinds, declared out of order, for the route table.
#[derive(Default)]
pub struct TableController;

#[controller("table")]
impl TableController {
    #[post("items")]
    fn create(&self) -> &'static str {
        "created"
    }

    #[sse("feed")]
    fn feed(&self) -> impl futures::Stream<Item = nestish_core::MessageEvent> + Send + 'static {
        futures::stream::empty()
    }

    #[get("items")]
    fn list(&self) -> &'static str {
        "items"
    }

    #[sse("answers", method = "POST")]
    fn answers(&self) -> impl futures::Stream<Item = nestish_core::MessageEvent> + Send + 'static {
        futures::stream::empty()
    }

    #[get]
    fn root(&self) -> &'static str {
        "table"
    }
}

// Counted here because nothing else in this binary logs a route table: `tracing` decides per
// call site, for the whole process, whether anyone listens, and another test building an app on
// another thread meanwhile could make this one's subscriber miss lines.
#[test]
fn the_route_table_is_logged_at_start_up_one_sorted_line_per_route() {
    // `build` logs on this thread, under the subscriber set here.
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    let _app = NestFactory::create()
        .controllers::<(TableController, FirstController)>()
        .build()
        .expect("routes without a duplicate build");
    let table = captured.lines(&[" INFO ", "nestish::routes", "Mapped {"]);
    let expected = [
        ("/events/latest, GET", "", "FirstController"),
        ("/table, GET", "", "TableController"),
        ("/table/answers, POST", " (SSE)", "TableController"),
        ("/table/feed, GET", " (SSE)", "TableController"),
        ("/table/items, GET", "", "TableController"),
        ("/table/items, POST", "", "TableController"),
    ];
    assert_eq!(table.len(), expected.len(), "{table:#?}");
    // In this order: by path, then method, whatever order the linker gave the routes in.
    for (line, (route, sse, controller)) in table.iter().zip(expected) {
        assert!(
            line.contains(&format!("Mapped {{{route}}}{sse} route")) && line.contains(controller),
            "{route}{sse} of {controller}: {table:#?}"
        );
    }
}
