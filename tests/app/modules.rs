//! Modules over a socket: an app made from a module serves exactly its graph's controllers;
//! NestJS's encapsulation holds (a controller takes only its module's providers and what its
//! imports export), and breaking it fails start-up naming the module, the controller and the
//! type; dynamic modules (`for_root`, `for_root_async` with options from other providers); the
//! testing module builds from a module and overrides any provider, sync or async.

use std::sync::Arc;

use nestish_core::testing::Test;
use nestish_core::{Error, Factory, Module, ModuleBuilder, NestFactory, controller, get, inject};

/// The app's settings: given to the app itself, so global.
pub struct Settings {
    pub feed_name: String,
}

pub struct UsersService;

impl UsersService {
    fn name(&self, id: u32) -> String {
        format!("user{id}")
    }
}

pub struct UsersModule;

impl Module for UsersModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.provide(UsersService).exports::<(UsersService,)>()
    }
}

/// A dynamic module: NestJS's `FeedModule.forRoot(...)` and `forRootAsync(...)`.
pub struct Feed {
    pub name: String,
}

pub struct FeedModule;

impl FeedModule {
    pub fn for_root(feed: Feed) -> ModuleBuilder {
        ModuleBuilder::new("FeedModule")
            .provide(feed)
            .exports::<(Feed,)>()
    }

    pub fn for_root_async<Args, F: Factory<Args, Output = Feed>>(factory: F) -> ModuleBuilder {
        ModuleBuilder::new("FeedModule")
            .provide_factory(factory)
            .exports::<(Feed,)>()
    }
}

/// Only the orders module's own.
pub struct OrdersRepository;

pub struct OrdersController {
    users: Arc<UsersService>,
    feed: Arc<Feed>,
    _repository: Arc<OrdersRepository>,
}

#[controller("orders")]
impl OrdersController {
    #[inject]
    fn new(users: Arc<UsersService>, feed: Arc<Feed>, repository: Arc<OrdersRepository>) -> Self {
        Self {
            users,
            feed,
            _repository: repository,
        }
    }

    #[get]
    fn list(&self) -> String {
        format!("{} on {}", self.users.name(1), self.feed.name)
    }
}

pub struct OrdersModule;

impl Module for OrdersModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<UsersModule>()
            .import_module(FeedModule::for_root_async(
                |settings: Arc<Settings>| async move {
                    Ok::<_, std::io::Error>(Feed {
                        name: settings.feed_name.clone(),
                    })
                },
            ))
            .provide(OrdersRepository)
            .controllers::<(OrdersController,)>()
    }
}

pub struct AppModule;

impl Module for AppModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.import::<OrdersModule>()
    }
}

/// Linked into the binary, but in no module.
#[derive(Default)]
pub struct StrayController;

#[controller("stray")]
impl StrayController {
    #[get]
    fn stray(&self) -> &'static str {
        "stray"
    }
}

fn settings() -> Settings {
    Settings {
        feed_name: "live".into(),
    }
}

#[tokio::test]
async fn an_app_from_a_module_serves_exactly_its_graph() {
    let app = Test::create_module::<AppModule>()
        .provide(settings())
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/orders").await.text(), "user1 on live");
    assert_eq!(app.get("/stray").await.status(), 404);
}

#[tokio::test]
async fn the_testing_module_overrides_a_module_provider_sync_or_async() {
    let app = Test::create_module::<AppModule>()
        .provide(settings())
        .override_provider(Feed {
            name: "fake".into(),
        })
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/orders").await.text(), "user1 on fake");

    let app = Test::create_module::<AppModule>()
        .provide(settings())
        .override_factory(|| async {
            Ok::<_, std::io::Error>(Feed {
                name: "made for the test".into(),
            })
        })
        .start()
        .await
        .unwrap();
    assert_eq!(
        app.get("/orders").await.text(),
        "user1 on made for the test"
    );
}

/// A module whose controller takes what another module keeps to itself.
pub struct SnoopController;

#[controller("snoop")]
impl SnoopController {
    #[inject]
    fn new(_: Arc<OrdersRepository>, _: Arc<UsersService>) -> Self {
        Self
    }

    #[get]
    fn snoop(&self) -> &'static str {
        "never"
    }
}

pub struct SnoopModule;

impl Module for SnoopModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<OrdersModule>()
            .controllers::<(SnoopController,)>()
    }
}

#[tokio::test]
async fn taking_what_an_import_does_not_export_fails_start_up_naming_it() {
    let error = NestFactory::create_module::<SnoopModule>()
        .provide(settings())
        .init()
        .await
        .unwrap_err();
    // Two providers it can not see: OrdersRepository (not exported), UsersService (exported by
    // UsersModule, which SnoopModule does not import).
    let message = error.to_string();
    assert!(
        matches!(error, Error::Several(ref all) if all.len() == 2),
        "{message}"
    );
    assert!(
        message.contains(
            "SnoopController of SnoopModule takes `app::modules::OrdersRepository`, which SnoopModule \
             can not see: it is provided by OrdersModule; export it from OrdersModule and import \
             OrdersModule into SnoopModule"
        ),
        "{message}"
    );
    assert!(
        message.contains("takes `app::modules::UsersService`, which SnoopModule can not see: it is provided by UsersModule"),
        "{message}"
    );
}

pub struct Cyclic;
pub struct Other;

impl Module for Cyclic {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.import::<Other>()
    }
}

impl Module for Other {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.import::<Cyclic>().exports::<(UsersService,)>()
    }
}

#[test]
fn cycles_and_exports_of_nothing_fail_start_up_naming_the_modules() {
    let error = NestFactory::create_module::<Cyclic>().build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "these modules import each other in a cycle: Cyclic -> Other -> Cyclic"
    );

    let error = NestFactory::create_module::<Boastful>()
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Boastful exports `app::modules::UsersService`, which it neither provides nor imports from a \
         module that exports it"
    );
}

/// Exports what it does not have: UsersModule is not imported.
pub struct Boastful;

impl Module for Boastful {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.exports::<(UsersService,)>()
    }
}

pub struct TwiceModule;

impl Module for TwiceModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<UsersModule>()
            .import_module(ModuleBuilder::new("CopyModule").provide(UsersService))
            .import_module(FeedModule::for_root(Feed {
                name: "static".into(),
            }))
    }
}

#[test]
fn a_type_provided_by_two_modules_fails_start_up_naming_both() {
    let error = NestFactory::create_module::<TwiceModule>()
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`app::modules::UsersService` is provided by both UsersModule and CopyModule; provide it in one and export it"
    );
}

pub struct UsersController {
    users: Arc<UsersService>,
}

#[controller("users")]
impl UsersController {
    #[inject]
    fn new(users: Arc<UsersService>) -> Self {
        Self { users }
    }

    #[get]
    fn first(&self) -> String {
        self.users.name(1)
    }
}

/// Passes on what it imports, as a NestJS module re-exports an imported one's provider.
pub struct SharedModule;

impl Module for SharedModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.import::<UsersModule>().exports::<(UsersService,)>()
    }
}

pub struct PeopleModule;

impl Module for PeopleModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<SharedModule>()
            .controllers::<(UsersController,)>()
    }
}

#[tokio::test]
async fn a_provider_re_exported_by_an_import_is_visible() {
    let app = Test::create_module::<PeopleModule>().start().await.unwrap();
    assert_eq!(app.get("/users").await.text(), "user1");
    assert_eq!(app.get("/orders").await.status(), 404);
}

/// A guard that admits whoever sends a `user` cookie.
pub struct CookieGuard;

impl nestish_core::Guard for CookieGuard {
    async fn can_activate(
        &self,
        request: &mut nestish_core::GuardRequest<'_>,
    ) -> Result<(), nestish_core::HttpError> {
        request
            .cookie("user")
            .map(|_| ())
            .ok_or_else(|| nestish_core::HttpError::unauthorized("who are you?"))
    }
}

/// Holds the guard without exporting it.
pub struct AuthModule;

impl Module for AuthModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.provide(CookieGuard)
    }
}

/// Exports it.
pub struct OpenAuthModule;

impl Module for OpenAuthModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.provide(CookieGuard).exports::<(CookieGuard,)>()
    }
}

#[derive(Default)]
pub struct VaultController;

#[controller("vault")]
#[nestish_core::use_guards(CookieGuard)]
impl VaultController {
    #[get]
    fn open(&self) -> &'static str {
        "gold"
    }

    #[get("inventory")]
    fn inventory(&self) -> &'static str {
        "gold, silver"
    }
}

/// Guards its routes with a guard it can not see, and takes a provider it can not see.
pub struct VaultModule;

impl Module for VaultModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .controllers::<(VaultController, SnoopController)>()
            .import::<AuthModule>()
            .import::<OrdersModule>()
    }
}

/// The same, importing the module that exports the guard.
pub struct SharedVaultModule;

impl Module for SharedVaultModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .controllers::<(VaultController,)>()
            .import::<OpenAuthModule>()
    }
}

#[tokio::test]
async fn a_guard_its_module_can_not_see_fails_start_up_with_every_other_problem() {
    let error = NestFactory::create_module::<VaultModule>()
        .provide(settings())
        .init()
        .await
        .unwrap_err();
    let message = error.to_string();
    // Every problem at once: the guard (once for its controller of two routes) and the
    // snoop's provider.
    assert!(matches!(error, Error::Several(_)), "{message}");
    assert_eq!(message.matches("CookieGuard").count(), 1, "{message}");
    assert!(
        message.contains(
            "the #[use_guards] of VaultController of VaultModule takes `app::modules::CookieGuard`, \
             which VaultModule can not see: it is provided by AuthModule; export it from \
             AuthModule and import AuthModule into VaultModule"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "SnoopController of VaultModule takes `app::modules::OrdersRepository`, which VaultModule \
             can not see"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_guard_an_import_exports_guards_the_module_routes() {
    let app = Test::create_module::<SharedVaultModule>()
        .start()
        .await
        .unwrap();
    app.get("/vault")
        .await
        .assert_error(nestish_core::StatusCode::UNAUTHORIZED, "who are you?");
    assert_eq!(app.get("/vault").cookie("user", "ada").await.text(), "gold");
}
