//! The configuration module: a typed struct from variables and a `.env` file, injected into
//! controllers and async factories over a socket; every missing, bad or invalid variable named
//! in one start-up error, without its value.

use std::path::PathBuf;
use std::sync::Arc;

use nestish_core::testing::Test;
use nestish_core::{ConfigSource, Error, NestFactory, controller, get, inject};

#[derive(serde::Deserialize, garde::Validate)]
pub struct AppConfig {
    #[garde(range(min = 1))]
    pub port: u16,
    #[garde(skip)]
    pub redis_url: String,
    #[garde(length(min = 32))]
    pub session_secret: String,
    #[garde(skip)]
    pub debug: bool,
    #[garde(skip)]
    pub tls_cert: Option<String>,
}

/// What an async factory made from the configuration.
pub struct Greeting(String);

pub struct ConfigController {
    config: Arc<AppConfig>,
    greeting: Arc<Greeting>,
}

#[controller("config")]
impl ConfigController {
    #[inject]
    fn new(config: Arc<AppConfig>, greeting: Arc<Greeting>) -> Self {
        Self { config, greeting }
    }

    #[get]
    fn show(&self) -> String {
        let config = &self.config;
        format!(
            "{} {} {} {:?} {}",
            config.port, config.redis_url, config.debug, config.tls_cert, self.greeting.0
        )
    }
}

/// A `.env` file of this test's own.
fn env_file(test: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nestish-config-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".env");
    std::fs::write(&path, text).unwrap();
    path
}

const SECRET: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn the_configuration_is_read_from_variables_and_the_env_file_and_injected() {
    let file = env_file(
        "read",
        &format!("PORT=8080\nREDIS_URL=redis://from-file\nSESSION_SECRET={SECRET}\nDEBUG=true\n"),
    );
    // A variable of the environment wins over the file's.
    let source = ConfigSource::new()
        .env_file(&file)
        .vars([("REDIS_URL", "redis://from-env")]);
    let app = Test::create_testing_module()
        .controllers::<(ConfigController,)>()
        .configure(|app| {
            app.validated_config::<AppConfig>(source).provide_factory(
                |config: Arc<AppConfig>| async move {
                    Ok::<_, std::io::Error>(Greeting(format!("hello from {}", config.port)))
                },
            )
        })
        .start()
        .await
        .unwrap();
    assert_eq!(
        app.get("/config").await.text(),
        "8080 redis://from-env true None hello from 8080"
    );
}

/// Why the app does not start with these variables.
fn start_up_error(vars: &[(&str, &str)]) -> Error {
    let source = ConfigSource::new()
        .without_env_file()
        .vars(vars.iter().copied());
    NestFactory::create()
        .controllers::<(ConfigController,)>()
        .provide(Greeting(String::new()))
        .validated_config::<AppConfig>(source)
        .build()
        .unwrap_err()
}

#[test]
fn every_missing_bad_or_invalid_variable_is_named_in_one_error() {
    let error = start_up_error(&[
        ("PORT", "0"),
        ("SESSION_SECRET", "too-short-secret"),
        ("DEBUG", "maybe"),
    ]);
    assert!(matches!(error, Error::Configuration(_)), "{error:?}");
    let Error::Configuration(problems) = &error else {
        unreachable!()
    };
    let mut named: Vec<&str> = problems
        .problems
        .iter()
        .map(|p| p.variable.as_str())
        .collect();
    named.sort_unstable();
    // The controller that takes the configuration is not reported as well.
    // PORT=0 and the short secret break their rules: named with the missing and bad ones.
    assert_eq!(
        named,
        ["DEBUG", "PORT", "REDIS_URL", "SESSION_SECRET"],
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("cannot read the configuration `app::config::AppConfig`:\n  - "),
        "{message}"
    );
    assert!(message.contains("REDIS_URL: missing"), "{message}");
    assert!(
        message.contains("DEBUG: invalid: expected a boolean"),
        "{message}"
    );
    // A value is never echoed: it may be a secret.
    assert!(!message.contains("maybe"), "{message}");

    // With every variable there and well-formed, the rules alone are named.
    let error = start_up_error(&[
        ("PORT", "0"),
        ("SESSION_SECRET", "too-short-secret"),
        ("DEBUG", "false"),
        ("REDIS_URL", "redis://localhost"),
    ]);
    let message = error.to_string();
    assert!(message.contains("PORT: invalid: "), "{message}");
    assert!(message.contains("SESSION_SECRET: invalid: "), "{message}");
    assert!(!message.contains("too-short-secret"), "{message}");
}

#[test]
fn text_that_looks_like_a_number_or_a_flag_stays_text_where_the_field_is_text() {
    let source = ConfigSource::new().without_env_file().vars([
        ("PORT", "8080"),
        ("REDIS_URL", "true"),
        ("SESSION_SECRET", "12345678901234567890123456789012"),
        ("DEBUG", "false"),
    ]);
    let config = source.read_validated::<AppConfig>().unwrap();
    assert_eq!(config.port, 8080);
    assert_eq!(config.redis_url, "true");
    assert_eq!(config.session_secret, "12345678901234567890123456789012");
    assert!(!config.debug);
}

#[test]
fn an_unreadable_env_file_is_named() {
    let file = env_file("unreadable", "PORT=1\nTHIS IS NOT A VARIABLE\n");
    let error = NestFactory::create()
        .controllers::<(ConfigController,)>()
        .config::<AppConfig>(ConfigSource::new().env_file(&file).vars([("A", "b")]))
        .build()
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(
        message.contains("cannot be read as a .env file"),
        "{message}"
    );
}
