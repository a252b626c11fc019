//! Providers behind traits: `Arc<dyn Trait>` injected, missing, and swapped for a fake in a test.

use std::sync::Arc;

use nestish_core::testing::Test;
use nestish_core::{Error, NestFactory, controller, get, inject};

pub trait Llm: Send + Sync {
    fn complete(&self, prompt: &str) -> String;
}

/// The "real" model of the app.
pub struct Shouting;

impl Llm for Shouting {
    fn complete(&self, prompt: &str) -> String {
        prompt.to_uppercase()
    }
}

/// A test's fake.
pub struct Canned(&'static str);

impl Llm for Canned {
    fn complete(&self, _: &str) -> String {
        self.0.to_owned()
    }
}

pub struct CompletionController {
    llm: Arc<dyn Llm>,
}

#[controller("complete")]
impl CompletionController {
    #[inject]
    fn new(llm: Arc<dyn Llm>) -> Self {
        Self { llm }
    }

    #[get]
    fn complete(&self, #[query("prompt")] prompt: String) -> String {
        self.llm.complete(&prompt)
    }
}

fn app() -> nestish_core::AppBuilder {
    NestFactory::create()
        .controllers::<(CompletionController,)>()
        .provide_dyn::<dyn Llm>(Arc::new(Shouting))
}

#[tokio::test]
async fn a_trait_object_provider_is_injected() {
    let app = Test::module(app()).start().await.unwrap();
    assert_eq!(app.get("/complete?prompt=hi").await.text(), "HI");
}

#[tokio::test]
async fn a_test_swaps_the_trait_object_for_a_fake() {
    let app = Test::module(app())
        .override_provider_dyn::<dyn Llm>(Arc::new(Canned("canned answer")))
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/complete?prompt=hi").await.text(), "canned answer");
}

#[test]
fn a_missing_trait_object_provider_fails_the_build_naming_it() {
    let error = NestFactory::create()
        .controllers::<(CompletionController,)>()
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::MissingProvider { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("dyn app::dyn_providers::Llm"), "{message}");
    assert!(message.contains("CompletionController"), "{message}");
}
