//! NestJS's global prefix (with exclusions) and URI versioning, and a controller prefix given as
//! a `const`, over a socket: each route answers at its final path and nowhere else; a mistake
//! the macros cannot see fails start-up naming it; the route table shows the final paths.

use crate::support;

use nestish_core::testing::Test;
use nestish_core::{
    Error, GlobalPrefix, MessageEvent, NestFactory, Versioning, controller, get, sse,
};
use support::logs;

#[derive(Default)]
pub struct OrdersController;

#[controller("orders", version = "1")]
impl OrdersController {
    #[get]
    fn list(&self) -> &'static str {
        "orders v1"
    }

    /// A route's own version overrides its controller's.
    #[get(":id", version = "2")]
    fn find(&self, #[param("id")] id: u32) -> String {
        format!("order {id} v2")
    }

    #[get("count", version = ["1", "2"])]
    fn count(&self) -> &'static str {
        "3"
    }

    #[get("all", version = VERSION_NEUTRAL)]
    fn all(&self) -> &'static str {
        "every version"
    }

    #[sse("live", version = "2")]
    fn live(&self) -> impl futures::Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::iter([MessageEvent::new("placed")])
    }
}

/// Parameters in a literal prefix keep their places behind the global prefix and the version.
#[derive(Default)]
pub struct TenantOrdersController;

#[controller("tenants/:tenant/orders", version = "1")]
impl TenantOrdersController {
    #[get(":id")]
    fn find(&self, #[param("tenant")] tenant: String, #[param("id")] id: u32) -> String {
        format!("{tenant}/{id}")
    }
}

pub const PAGES: &str = "/pages/";

#[derive(Default)]
pub struct PagesController;

#[controller(PAGES)]
impl PagesController {
    #[get]
    fn index(&self) -> &'static str {
        "pages"
    }

    #[get(":name")]
    fn page(&self, #[param("name")] name: String) -> String {
        format!("page {name}")
    }
}

pub mod paths {
    pub const STATUS: &str = "status";
}

#[derive(Default)]
pub struct StatusController;

#[controller(path = paths::STATUS)]
impl StatusController {
    #[get]
    fn status(&self) -> &'static str {
        "up"
    }
}

/// Without a version: the app's default version, if it has one.
#[derive(Default)]
pub struct PlainController;

#[controller("plain")]
impl PlainController {
    #[get]
    fn plain(&self) -> &'static str {
        "plain"
    }
}

pub const DOUBLE_SLASH: &str = "a//b";

#[derive(Default)]
pub struct BadConstController;

#[controller(DOUBLE_SLASH)]
impl BadConstController {
    #[get]
    fn index(&self) -> &'static str {
        "never"
    }
}

pub const WITH_PARAM: &str = "tenants/:tenant";

#[derive(Default)]
pub struct ParamConstController;

#[controller(WITH_PARAM)]
impl ParamConstController {
    #[get]
    fn index(&self) -> &'static str {
        "never"
    }
}

fn api() -> nestish_core::AppBuilder {
    NestFactory::create()
        .controllers::<(
            OrdersController,
            TenantOrdersController,
            PagesController,
            StatusController,
            PlainController,
        )>()
        .global_prefix(GlobalPrefix::new("api").exclude("pages/*"))
        .enable_versioning(Versioning::uri())
        .health_routes("health")
}

#[tokio::test]
async fn routes_answer_under_the_global_prefix_and_their_version() {
    let app = Test::module(api()).start().await.unwrap();
    assert_eq!(app.get("/api/v1/orders").await.text(), "orders v1");
    assert_eq!(app.get("/api/v2/orders/7").await.text(), "order 7 v2");
    assert_eq!(app.get("/api/v1/orders/count").await.text(), "3");
    assert_eq!(app.get("/api/v2/orders/count").await.text(), "3");
    assert_eq!(app.get("/api/orders/all").await.text(), "every version");
    assert_eq!(
        app.get("/api/v1/tenants/acme/orders/9").await.text(),
        "acme/9"
    );
    assert_eq!(app.get("/api/status").await.text(), "up");
    assert_eq!(app.get("/api/plain").await.text(), "plain");
    // The health routes take the global prefix too, unless excluded.
    assert_eq!(app.get("/api/health/live").await.status(), 200);
    let mut events = app.sse("/api/v2/orders/live").await;
    assert_eq!(events.next_event().await.data, "placed");

    // Nowhere else: not without the prefix, not under another version.
    for path in [
        "/orders",
        "/v1/orders",
        "/api/orders",
        "/api/v2/orders",
        "/api/v1/orders/7",
        "/api/v1/orders/all",
        "/api/pages",
        "/health/live",
    ] {
        let response = app.get(path).await;
        response.assert_error(
            nestish_core::StatusCode::NOT_FOUND,
            &format!("Cannot GET {path}"),
        );
    }
}

#[tokio::test]
async fn excluded_paths_and_a_const_prefix_answer_without_the_global_prefix() {
    let app = Test::module(api()).start().await.unwrap();
    assert_eq!(app.get("/pages").await.text(), "pages");
    assert_eq!(app.get("/pages/about").await.text(), "page about");

    let app = Test::module(api().global_prefix(GlobalPrefix::new("/api/").exclude("health/*")))
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/health/live").await.status(), 200);
    assert_eq!(app.get("/api/pages/about").await.text(), "page about");
}

#[tokio::test]
async fn a_default_version_serves_routes_that_give_none() {
    let app = Test::module(api().enable_versioning(Versioning::uri().default_version("1")))
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/api/v1/plain").await.text(), "plain");
    assert_eq!(app.get("/api/v1/status").await.text(), "up");
    assert_eq!(app.get("/api/plain").await.status(), 404);
    // VERSION_NEUTRAL stays without a version.
    assert_eq!(app.get("/api/orders/all").await.text(), "every version");

    let app = Test::module(api().enable_versioning(Versioning::uri().prefix("version-")))
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/api/version-1/orders").await.text(), "orders v1");
}

#[tokio::test]
async fn without_prefix_or_versioning_routes_keep_their_own_paths() {
    let app = Test::create_testing_module()
        .controllers::<(PagesController, StatusController, PlainController)>()
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/pages/about").await.text(), "page about");
    assert_eq!(app.get("/status").await.text(), "up");
    assert_eq!(app.get("/plain").await.text(), "plain");
}

fn build_error(builder: nestish_core::AppBuilder) -> String {
    builder.build().expect_err("start-up must fail").to_string()
}

#[test]
fn a_version_without_versioning_fails_start_up_naming_the_route() {
    let error = NestFactory::create()
        .controllers::<(OrdersController,)>()
        .build()
        .unwrap_err();
    // One problem a versioned route, all of them at once.
    let Error::Several(problems) = &error else {
        panic!("expected every versioned route: {error:?}");
    };
    assert_eq!(problems.len(), 4, "{error}");
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, Error::VersioningOff { .. })),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("OrdersController::"), "{message}");
    assert!(message.contains("enable_versioning"), "{message}");
}

#[test]
fn a_const_prefix_is_checked_at_start_up_by_the_path_rules() {
    let message = build_error(NestFactory::create().controllers::<(BadConstController,)>());
    assert_eq!(
        message,
        "invalid route path \"a//b\" in the prefix of BadConstController: it has an empty segment (`//`); write one slash between segments"
    );
    let message = build_error(NestFactory::create().controllers::<(ParamConstController,)>());
    assert!(
        message.starts_with(
            "invalid route path \"tenants/:tenant\" in the prefix of ParamConstController: `:tenant` is a parameter"
        ),
        "{message}"
    );
}

#[test]
fn bad_prefixes_versions_and_exclusions_fail_start_up_naming_them() {
    let plain = || NestFactory::create().controllers::<(PlainController,)>();
    let message = build_error(plain().global_prefix("api/:tenant"));
    assert!(
        message.starts_with("invalid route path \"api/:tenant\" in the global prefix"),
        "{message}"
    );
    let message = build_error(plain().enable_versioning(Versioning::uri().default_version("1/2")));
    assert!(
        message.starts_with("invalid route path \"1/2\" in the default version"),
        "{message}"
    );
    let message = build_error(plain().global_prefix(GlobalPrefix::new("api").exclude("plian")));
    assert!(
        message.starts_with("the global prefix exclusion \"plian\" matches no route"),
        "{message}"
    );
}

#[test]
fn the_route_table_shows_the_final_paths() {
    let (captured, guard) = logs::capture(tracing::Level::INFO);
    let _app = api().build().unwrap();
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

#[test]
fn built_in_routes_follow_the_path_rules_of_every_route() {
    let plain = || NestFactory::create().controllers::<(PlainController,)>();
    let message = build_error(plain().health_routes("health//checks"));
    assert_eq!(
        message,
        "invalid route path \"health//checks\" in the health routes: it has an empty segment (`//`); write one slash between segments"
    );
    let message = build_error(plain().metrics_route("/metrics/:kind"));
    assert!(
        message.starts_with(
            "invalid route path \"/metrics/:kind\" in the metrics route: `:kind` is a parameter"
        ),
        "{message}"
    );
}
