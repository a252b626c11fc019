//! Modules and configuration, NestJS's `@Module` and `ConfigModule`: the settings are one typed
//! struct read from the environment (or a `.env` file) and checked at start-up; a module makes
//! a service from them with an async factory and exports it; another imports it for its
//! controller.
//!
//! ```sh
//! GREETING=hi cargo run -p nestish-examples --bin modules-config
//! curl http://127.0.0.1:3000/greet/ann              # hi, ann
//! GREETING= cargo run -p nestish-examples --bin modules-config
//! # error: cannot read the configuration `modules_config::Settings`:
//! #   - GREETING: invalid: length is lower than 1
//! ```

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;

use nestish_core::{ConfigSource, Module, ModuleBuilder, NestFactory, controller, get, inject};

/// Each field is the variable of its name in upper case: `GREETING`, `SHOUT`. Every missing,
/// malformed or rule-breaking one is named in one start-up error, never with its value.
#[derive(serde::Deserialize, garde::Validate)]
struct Settings {
    #[serde(default = "greeting")]
    #[garde(length(chars, min = 1, max = 40))]
    greeting: String,
    #[serde(default)]
    #[garde(skip)]
    shout: bool,
}

fn greeting() -> String {
    "hello".to_owned()
}

/// A service made from the settings.
struct Greeter {
    greeting: String,
}

impl Greeter {
    fn greet(&self, name: &str) -> String {
        format!("{}, {name}", self.greeting)
    }
}

/// Makes the `Greeter` and exports it: only modules that import this one may take it.
struct GreeterModule;

impl Module for GreeterModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        // An async factory (NestJS's `useFactory` with `inject`): its arguments are providers,
        // here the configuration, and it may fail start-up with its error (a pool that cannot
        // connect, say).
        module
            .provide_factory(|settings: Arc<Settings>| async move {
                let greeting = if settings.shout {
                    settings.greeting.to_uppercase()
                } else {
                    settings.greeting.clone()
                };
                Ok::<_, Infallible>(Greeter { greeting })
            })
            .exports::<(Greeter,)>()
    }
}

struct GreetController {
    greeter: Arc<Greeter>,
}

#[controller("greet")]
impl GreetController {
    #[inject]
    fn new(greeter: Arc<Greeter>) -> Self {
        Self { greeter }
    }

    #[get(":name")]
    fn greet(&self, #[param("name")] name: String) -> String {
        self.greeter.greet(&name)
    }
}

/// The app serves exactly the controllers of its module and those it imports. Taking a
/// provider the module cannot see fails start-up, naming the module that has it.
struct AppModule;

impl Module for AppModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<GreeterModule>()
            .controllers::<(GreetController,)>()
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // `init` runs the async factories; the configuration is read before any of them, and given
    // to the app as a global provider, which every module sees.
    let app = NestFactory::create_module::<AppModule>()
        .validated_config::<Settings>(ConfigSource::new())
        .init()
        .await;
    nestish_examples::serve(app, 3000).await
}
