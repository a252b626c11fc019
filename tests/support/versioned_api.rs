//! The versioned API of the prefix and versioning tests: controllers with versions, a `const`
//! prefix, a parameter in a prefix, and the app that serves them under `/api` with URI versions.

use nestish_core::{GlobalPrefix, MessageEvent, NestFactory, Versioning, controller, get, sse};

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

pub fn api() -> nestish_core::AppBuilder {
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
