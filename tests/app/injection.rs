//! Providers injected into controllers through their `#[inject]` constructor, over a socket; and
//! the start-up error that names the controller and the missing type.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use nestish_core::testing::Test;
use nestish_core::{Error, NestFactory, controller, get, inject, post};

/// A service shared by every request (and by the test, which keeps a handle).
#[derive(Default)]
pub struct Counter {
    hits: AtomicU64,
}

pub struct Greeting(pub String);

pub struct CounterController {
    counter: Arc<Counter>,
    greeting: Option<Arc<Greeting>>,
}

#[controller("counter")]
impl CounterController {
    #[inject]
    fn new(counter: Arc<Counter>, greeting: Option<Arc<Greeting>>) -> Self {
        Self { counter, greeting }
    }

    #[post]
    fn hit(&self) -> String {
        (self.counter.hits.fetch_add(1, Ordering::SeqCst) + 1).to_string()
    }

    #[get("greeting")]
    fn greeting(&self) -> String {
        self.greeting
            .as_ref()
            .map_or_else(|| "no greeting".to_owned(), |g| g.0.clone())
    }
}

#[tokio::test]
async fn the_controller_shares_the_provided_instance() {
    let counter = Arc::new(Counter::default());
    let app = Test::create_testing_module()
        .controllers::<(CounterController,)>()
        .provide_arc(Arc::clone(&counter))
        .start()
        .await
        .unwrap();
    assert_eq!(app.post("/counter").await.text(), "1");
    assert_eq!(app.post("/counter").await.text(), "2");
    // The same instance the application was given, not a copy.
    assert_eq!(counter.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_optional_provider_may_be_absent_or_present() {
    let module = || {
        Test::create_testing_module()
            .controllers::<(CounterController,)>()
            .provide(Counter::default())
    };
    let app = module().start().await.unwrap();
    assert_eq!(app.get("/counter/greeting").await.text(), "no greeting");

    let app = module()
        .provide(Greeting("hello".into()))
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/counter/greeting").await.text(), "hello");
}

#[tokio::test]
async fn an_overridden_provider_replaces_the_registered_one_in_any_order() {
    let app = Test::create_testing_module()
        .controllers::<(CounterController,)>()
        .override_provider(Greeting("fake".into()))
        .provide(Counter::default())
        .provide(Greeting("real".into()))
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/counter/greeting").await.text(), "fake");
}

#[test]
fn a_missing_provider_fails_build_naming_controller_and_type() {
    let error = NestFactory::create()
        .controllers::<(CounterController,)>()
        .build()
        .expect_err("Counter is not provided");
    assert!(
        matches!(
            error,
            Error::MissingProvider {
                controller: "CounterController",
                provider: "app::injection::Counter",
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "cannot build CounterController: its #[inject] constructor needs a provider of type \
         `app::injection::Counter`; register one with NestFactory::create().provide(...)"
    );
}
