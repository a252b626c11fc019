//! Async providers (NestJS's `useFactory` with `inject`): made at start-up in dependency order,
//! served over a socket; a cycle, a failing factory and missing providers fail start-up naming
//! them, every missing one at once; the testing module overrides a provider, sync or async.

use std::sync::{Arc, Mutex};

use nestish_core::testing::Test;
use nestish_core::{
    Error, Guard, GuardRequest, HttpError, NestFactory, controller, get, inject, use_guards,
};

/// What the factories did, in order.
#[derive(Default)]
pub struct Trail(Mutex<Vec<&'static str>>);

impl Trail {
    fn push(&self, step: &'static str) {
        self.0.lock().unwrap().push(step);
    }
    fn steps(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

pub struct Config {
    pub url: String,
}

pub struct Pool {
    pub url: String,
}

pub struct Repository {
    pub pool: Arc<Pool>,
    pub label: String,
}

pub struct RepositoryController {
    repository: Arc<Repository>,
}

#[controller("repository")]
impl RepositoryController {
    #[inject]
    fn new(repository: Arc<Repository>) -> Self {
        Self { repository }
    }

    #[get]
    fn show(&self) -> String {
        format!("{} on {}", self.repository.label, self.repository.pool.url)
    }
}

/// Opens the pool after a real wait on the runtime, as a connection would.
async fn open_pool(config: Arc<Config>, trail: Arc<Trail>) -> Result<Pool, std::io::Error> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    tokio::spawn(async move { sender.send(()) });
    receiver.await.map_err(std::io::Error::other)?;
    trail.push("pool");
    Ok(Pool {
        url: config.url.clone(),
    })
}

fn repository_app(trail: &Arc<Trail>) -> nestish_core::AppBuilder {
    NestFactory::create()
        .controllers::<(RepositoryController,)>()
        .provide_arc(Arc::clone(trail))
        // Registered before the pool it takes: start-up orders them, not the builder.
        .provide_factory(|pool: Arc<Pool>, trail: Arc<Trail>| async move {
            trail.push("repository");
            Ok::<_, std::io::Error>(Repository {
                pool,
                label: "orders".into(),
            })
        })
        .provide_factory(open_pool)
        .provide(Config {
            url: "postgres://db".into(),
        })
}

#[tokio::test]
async fn factories_are_awaited_in_dependency_order_and_injected() {
    let trail = Arc::new(Trail::default());
    let app = Test::module(repository_app(&trail)).start().await.unwrap();
    assert_eq!(
        app.get("/repository").await.text(),
        "orders on postgres://db"
    );
    assert_eq!(trail.steps(), ["pool", "repository"]);
}

#[tokio::test]
async fn the_testing_module_overrides_a_factory_with_a_value_or_another_factory() {
    let trail = Arc::new(Trail::default());
    let app = Test::module(repository_app(&trail))
        .override_provider(Pool {
            url: "sqlite::memory:".into(),
        })
        .start()
        .await
        .unwrap();
    assert_eq!(
        app.get("/repository").await.text(),
        "orders on sqlite::memory:"
    );
    // The real pool's factory never ran.
    assert_eq!(trail.steps(), ["repository"]);

    let trail = Arc::new(Trail::default());
    let app = Test::module(repository_app(&trail))
        .override_factory(|pool: Arc<Pool>| async move {
            Ok::<_, std::io::Error>(Repository {
                pool,
                label: "fake".into(),
            })
        })
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/repository").await.text(), "fake on postgres://db");
    assert_eq!(trail.steps(), ["pool"]);
}

#[tokio::test]
async fn a_failing_factory_fails_start_up_naming_the_provider() {
    let trail = Arc::new(Trail::default());
    let error = repository_app(&trail)
        .provide_factory(|_: Arc<Config>| async {
            Err::<Pool, _>(std::io::Error::other("connection refused"))
        })
        .init()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Factory { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "cannot make `app::async_providers::Pool`: its factory failed: connection refused"
    );
    // Nothing that takes the pool was made.
    assert!(trail.steps().is_empty());
}

#[tokio::test]
async fn a_factory_that_panics_fails_start_up_naming_the_provider() {
    let trail = Arc::new(Trail::default());
    let error = repository_app(&trail)
        .provide_factory(|_: Arc<Config>| async {
            if true {
                panic!("no credentials");
            }
            Ok::<Pool, std::io::Error>(Pool { url: String::new() })
        })
        .init()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot make `app::async_providers::Pool`: its factory failed: it panicked: no credentials"
    );
}

pub struct Left;
pub struct Right;
pub struct Middle;

#[tokio::test]
async fn factories_that_take_each_other_fail_start_up_naming_the_cycle() {
    let error = NestFactory::create()
        .controllers::<(RepositoryController,)>()
        .provide_factory(|_: Arc<Right>| async { Ok::<_, std::io::Error>(Left) })
        .provide_factory(|_: Arc<Middle>| async { Ok::<_, std::io::Error>(Right) })
        .provide_factory(|_: Arc<Left>| async { Ok::<_, std::io::Error>(Middle) })
        .provide_factory(|_: Arc<Left>| async {
            Ok::<_, std::io::Error>(Repository {
                pool: Arc::new(Pool { url: String::new() }),
                label: String::new(),
            })
        })
        .init()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the factories of these providers take each other in a cycle: app::async_providers::Left -> \
         app::async_providers::Right -> app::async_providers::Middle -> app::async_providers::Left"
    );
}

#[test]
fn build_refuses_an_app_with_an_async_provider_and_says_to_init() {
    let trail = Arc::new(Trail::default());
    let error = repository_app(&trail).build().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("start the app with `.init().await` rather than `.build()`"),
        "{error}"
    );
}

pub struct Mailer;
pub struct Clock;

pub struct AdminGuard;

impl Guard for AdminGuard {
    async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        Ok(())
    }
}

pub struct NeedyController;

#[controller("needy")]
#[use_guards(AdminGuard)]
impl NeedyController {
    #[inject]
    fn new(_: Arc<Mailer>, _: Arc<Clock>, _: Option<Arc<Left>>) -> Self {
        Self
    }

    #[get("one")]
    fn one(&self) -> &'static str {
        "one"
    }

    #[get("two")]
    fn two(&self) -> &'static str {
        "two"
    }
}

#[tokio::test]
async fn every_missing_provider_is_reported_at_once() {
    let error = NestFactory::create()
        .controllers::<(NeedyController,)>()
        .provide_factory(|_: Arc<Config>| async {
            Ok::<_, std::io::Error>(Pool { url: String::new() })
        })
        .init()
        .await
        .unwrap_err();
    let Error::Several(problems) = &error else {
        panic!("expected every problem at once: {error:?}");
    };
    // Each missing provider once, the guard once for both routes, the optional one not at all.
    assert_eq!(problems.len(), 4, "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("4 start-up problems:\n  - "),
        "{message}"
    );
    for part in [
        "cannot make `app::async_providers::Pool`: its factory takes a provider of type `app::async_providers::Config`",
        "cannot build NeedyController: its #[inject] constructor needs a provider of type `app::async_providers::Mailer`",
        "cannot build NeedyController: its #[inject] constructor needs a provider of type `app::async_providers::Clock`",
        "is guarded by `app::async_providers::AdminGuard`, but no provider of it was registered",
    ] {
        assert!(message.contains(part), "{part} not in:\n{message}");
    }
}

#[tokio::test]
async fn a_factory_may_make_a_guard_and_an_optional_provider() {
    let app = Test::create_testing_module()
        .controllers::<(NeedyController,)>()
        .provide(Mailer)
        .provide(Clock)
        .provide_factory(|| async { Ok::<_, std::io::Error>(AdminGuard) })
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/needy/two").await.text(), "two");
}
