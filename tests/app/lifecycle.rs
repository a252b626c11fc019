//! Lifecycle hooks over a served app: start-up hooks in dependency order, shutdown hooks in
//! reverse, `on_application_shutdown` after every stream and connection has ended; a failing
//! init hook fails start-up naming the provider; a hanging shutdown hook is bounded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::Stream;
use nestish_core::testing::Test;
use nestish_core::{
    AppHandle, BoxError, Error, Lifecycle, MessageEvent, NestFactory, controller, sse,
};

/// What the hooks did, in order.
#[derive(Default)]
pub struct Trail(Mutex<Vec<String>>);

impl Trail {
    fn push(&self, step: String) {
        self.0.lock().unwrap().push(step);
    }
    fn steps(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A provider that records each hook, and what the server holds open when it runs.
pub struct Recorder {
    name: &'static str,
    trail: Arc<Trail>,
    handle: Arc<AppHandle>,
}

impl Recorder {
    fn new(name: &'static str, trail: Arc<Trail>, handle: Arc<AppHandle>) -> Self {
        Self {
            name,
            trail,
            handle,
        }
    }

    fn record(&self, hook: &str) {
        let open = self.handle.open_connections() + self.handle.open_streams();
        self.trail.push(format!("{hook}:{} open={open}", self.name));
    }
}

macro_rules! recorder {
    ($name:ident) => {
        pub struct $name(Recorder);

        impl Lifecycle for $name {
            async fn on_module_init(&self) -> Result<(), BoxError> {
                self.0.record("init");
                Ok(())
            }
            async fn on_application_bootstrap(&self) -> Result<(), BoxError> {
                self.0.record("bootstrap");
                Ok(())
            }
            async fn before_application_shutdown(&self) -> Result<(), BoxError> {
                self.0.record("before");
                Ok(())
            }
            async fn on_application_shutdown(&self) -> Result<(), BoxError> {
                self.0.record("shutdown");
                Ok(())
            }
        }
    };
}

recorder!(Config);
recorder!(Pool);
recorder!(Repository);

#[derive(Default)]
pub struct FeedController;

#[controller("feed")]
impl FeedController {
    #[sse]
    fn feed(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::pending()
    }
}

fn app(trail: &Arc<Trail>) -> nestish_core::AppBuilder {
    let builder = NestFactory::create().controllers::<(FeedController,)>();
    let handle = Arc::new(builder.handle());
    builder
        .provide_arc(Arc::clone(trail))
        .provide_arc(Arc::clone(&handle))
        // Hooks registered out of order, factories too: the provider graph orders them.
        .lifecycle::<Repository>()
        .lifecycle::<Config>()
        .lifecycle::<Pool>()
        .provide_factory(|_: Arc<Pool>, trail, handle| async move {
            Ok::<_, BoxError>(Repository(Recorder::new("repository", trail, handle)))
        })
        .provide_factory(|_: Arc<Config>, trail, handle| async move {
            Ok::<_, BoxError>(Pool(Recorder::new("pool", trail, handle)))
        })
        .provide(Config(Recorder::new("config", Arc::clone(trail), handle)))
}

#[tokio::test]
async fn hooks_run_in_dependency_order_and_shutdown_hooks_in_reverse_after_streams_end() {
    let trail = Arc::new(Trail::default());
    let app = Test::module(app(&trail)).start().await.unwrap();
    assert_eq!(
        trail.steps(),
        [
            "init:config open=0",
            "init:pool open=0",
            "init:repository open=0",
            "bootstrap:config open=0",
            "bootstrap:pool open=0",
            "bootstrap:repository open=0",
        ]
    );
    let mut feed = app.sse("/feed").await;
    app.shutdown().await.unwrap();
    feed.end().await;
    let steps = trail.steps();
    let shutdown: Vec<&str> = steps[6..].iter().map(String::as_str).collect();
    // Before: the stream may still be open; after: nothing is.
    let before: Vec<&str> = shutdown[..3]
        .iter()
        .map(|step| step.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        before,
        ["before:repository", "before:pool", "before:config"]
    );
    assert_eq!(
        shutdown[3..],
        [
            "shutdown:repository open=0",
            "shutdown:pool open=0",
            "shutdown:config open=0",
        ]
    );
}

pub struct Broken;

impl Lifecycle for Broken {
    async fn on_module_init(&self) -> Result<(), BoxError> {
        Err("the schema is out of date".into())
    }
}

#[tokio::test]
async fn a_failing_init_hook_fails_start_up_naming_the_provider() {
    let trail = Arc::new(Trail::default());
    let error = app(&trail)
        .provide(Broken)
        .lifecycle::<Broken>()
        .init()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Hook { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the on_module_init hook of `app::lifecycle::Broken` failed: the schema is out of date"
    );
    // Nothing bootstrapped.
    assert!(!trail.steps().iter().any(|s| s.starts_with("bootstrap")));
}

#[tokio::test]
async fn hooks_of_a_type_nobody_provides_fail_start_up_and_build_says_to_init() {
    let trail = Arc::new(Trail::default());
    let error = app(&trail).lifecycle::<Broken>().init().await.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "the lifecycle hooks of `app::lifecycle::Broken` are registered, but no provider of it is"
        ),
        "{error}"
    );
    let error = NestFactory::create()
        .controllers::<(FeedController,)>()
        .provide(Broken)
        .lifecycle::<Broken>()
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`app::lifecycle::Broken` has lifecycle hooks: start the app with `.init().await` rather than `.build()`"
    );
}

/// A shutdown hook that never returns.
pub struct Stuck(Arc<Trail>);

impl Lifecycle for Stuck {
    async fn before_application_shutdown(&self) -> Result<(), BoxError> {
        self.0.push("stuck".into());
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_hanging_shutdown_hook_is_bounded_by_the_shutdown_timeout() {
    let trail = Arc::new(Trail::default());
    let app = Test::module(
        app(&trail)
            .provide(Stuck(Arc::clone(&trail)))
            .lifecycle::<Stuck>()
            .shutdown_timeout(Duration::from_millis(200)),
    )
    .start()
    .await
    .unwrap();
    app.shutdown().await.unwrap();
    let steps = trail.steps();
    // Stuck, a value, is made before the factories' providers, so its shutdown hook runs after
    // theirs; it holds up the rest of its round until the deadline, and they are skipped. The
    // next round runs in full.
    let stuck = steps.iter().position(|s| s == "stuck").unwrap();
    assert!(
        steps[..stuck].iter().any(|s| s.starts_with("before:pool")),
        "{steps:?}"
    );
    assert!(
        !steps[stuck..].iter().any(|s| s.starts_with("before:")),
        "{steps:?}"
    );
    assert_eq!(
        steps[stuck + 1..],
        [
            "shutdown:repository open=0",
            "shutdown:pool open=0",
            "shutdown:config open=0",
        ]
    );
}

/// The trail of the module below, whose `register` has no other way to reach the test.
static MODULE_TRAIL: std::sync::LazyLock<Arc<Trail>> = std::sync::LazyLock::new(Arc::default);

/// A provider that records its start-up and its last hook.
pub struct Store(Arc<Trail>, &'static str);

impl Lifecycle for Store {
    async fn on_module_init(&self) -> Result<(), BoxError> {
        self.0.push(format!("init:{}", self.1));
        Ok(())
    }
    async fn on_application_shutdown(&self) -> Result<(), BoxError> {
        self.0.push(format!("shutdown:{}", self.1));
        Ok(())
    }
}

/// Made from a `Store`, so started after it and stopped before it.
pub struct Cache(Store);

impl Lifecycle for Cache {
    async fn on_module_init(&self) -> Result<(), BoxError> {
        self.0.on_module_init().await
    }
    async fn on_application_shutdown(&self) -> Result<(), BoxError> {
        self.0.on_application_shutdown().await
    }
}

pub struct StoreModule;

impl nestish_core::Module for StoreModule {
    fn register(module: nestish_core::ModuleBuilder) -> nestish_core::ModuleBuilder {
        module
            .provide_arc(Arc::clone(&MODULE_TRAIL))
            .provide_factory(|_: Arc<Store>, trail: Arc<Trail>| async move {
                Ok::<_, BoxError>(Cache(Store(trail, "cache")))
            })
            .provide_factory(
                |trail: Arc<Trail>| async move { Ok::<_, BoxError>(Store(trail, "store")) },
            )
            // Said out of order: the provider graph orders the hooks.
            .lifecycle::<Cache>()
            .lifecycle::<Store>()
    }
}

#[tokio::test]
async fn a_module_asks_for_the_hooks_of_its_providers() {
    let app = Test::create_module::<StoreModule>().start().await.unwrap();
    assert_eq!(MODULE_TRAIL.steps(), ["init:store", "init:cache"]);
    app.shutdown().await.unwrap();
    assert_eq!(
        MODULE_TRAIL.steps(),
        [
            "init:store",
            "init:cache",
            "shutdown:cache",
            "shutdown:store"
        ]
    );
}
