//! The sample's settings and modules, NestJS's `ConfigModule` and `@Module`s: each controller in
//! the module of its feature, the chat's hub through the hub module, on Redis when `REDIS_URL`
//! says so, and every setting read, and checked, at start-up.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
use nestish_core::run::{Runs, RunsConfig};
use nestish_core::{AppBuilder, HubModule, Module, ModuleBuilder, NestFactory};
use serde::Deserialize;

use crate::AppController;
use crate::advice::{HttpExceptionFilter, ServerTime, Timing};
use crate::assistant::AssistantController;
use crate::auth::{AuthController, AuthGuard, Sessions, Users};
use crate::chat::{self, ChatController};
use crate::dashboard::DashboardController;
use crate::jobs::{JobBoard, JobsController};
use crate::metrics::{self, MetricsGuard};
use crate::notifications::NotificationsController;
use crate::pages::PagesController;
use crate::topics::TopicsGuard;

/// The sample's settings, each from the variable of its name (`PORT`, `REDIS_URL`, `REDIS_CLUSTER_URLS`,
/// `PRESENCE_EXPIRY_SECS`, `SESSION_SECRET`, `TLS_CERT`, `TLS_KEY`, `SAMPLE_USERS`, `METRICS_TOKEN`) in the environment or a `.env` file; a bad value
/// fails start-up naming the variable.
#[derive(Debug, Deserialize, garde::Validate)]
pub struct SampleConfig {
    /// The port to listen on; 3000 without `PORT`.
    #[serde(default = "default_port")]
    #[garde(skip)]
    pub port: u16,
    /// The hub on Redis (`redis://127.0.0.1:6379`), so several instances act as one.
    #[garde(skip)]
    pub redis_url: Option<String>,
    /// The hub on a Redis Cluster instead: its seed nodes' URLs, comma-separated
    /// (`redis://10.0.0.1:7000,redis://10.0.0.2:7000`). Not with `REDIS_URL`.
    #[garde(inner(length(min = 1)))]
    pub redis_cluster_urls: Option<String>,
    /// On Redis, how long (in seconds) the users of an instance that died without closing its
    /// streams stay online for the others: 15 without it (the hub's default), at least 1.
    #[garde(inner(range(min = 1)))]
    pub presence_expiry_secs: Option<u64>,
    /// What session tokens are signed with: instances that share it share their users. A random
    /// secret of the process's own without it.
    #[garde(inner(length(min = 1)))]
    pub session_secret: Option<String>,
    /// The certificate chain to serve HTTPS with (PEM), with `TLS_KEY`.
    #[garde(skip)]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM), with `TLS_CERT`.
    #[garde(skip)]
    pub tls_key: Option<PathBuf>,
    /// Who may log in, as `name:password` pairs, comma-separated; `ann` and `bob` without it
    /// (see [`crate::config::DEFAULT_USERS`]).
    #[garde(skip)]
    pub sample_users: Option<String>,
    /// The bearer token a scraper of `/metrics` sends; the metrics are off without it.
    #[garde(skip)]
    pub metrics_token: Option<String>,
}

fn default_port() -> u16 {
    3000
}

/// The hub: in this process, or on Redis when `REDIS_URL` is set; the chat's events, and the
/// logouts every instance must hear of.
pub struct SharedHubModule;

impl Module for SharedHubModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import_module(HubModule::for_root_async(
                |config: Arc<SampleConfig>| async move {
                    let redis = match (&config.redis_url, &config.redis_cluster_urls) {
                        (Some(_), Some(_)) => {
                            return Err(nestish_core::hub::HubError::Connect {
                                url: "REDIS_URL and REDIS_CLUSTER_URLS".to_owned(),
                                source: "set one of them: a single Redis or a cluster".into(),
                            });
                        }
                        (Some(url), None) => Some((Hub::redis(url.as_str()), "Redis (REDIS_URL)")),
                        (None, Some(seeds)) => Some((
                            Hub::redis_cluster(seeds.as_str()),
                            "a Redis Cluster (REDIS_CLUSTER_URLS)",
                        )),
                        (None, None) => None,
                    };
                    let Some((redis, on)) = redis else {
                        return Ok(Hub::with_backend(MemoryBackend::new(
                            HubConfig::default()
                                .classify(metrics::topic_class)
                                .presence(chat::presence_mode),
                        )));
                    };
                    let redis = match config.presence_expiry_secs {
                        Some(secs) => redis.presence_expiry(Duration::from_secs(secs)),
                        None => redis,
                    };
                    let hub = redis
                        .classify(metrics::topic_class)
                        .presence(chat::presence_mode)
                        .connect()
                        .await?;
                    tracing::info!("the chat's hub is on {on}: instances on it act as one");
                    Ok::<_, nestish_core::hub::HubError>(hub)
                },
            ))
            .exports::<(Hub,)>()
    }
}

/// Logging in: the users (`SAMPLE_USERS`), the sessions (signed with `SESSION_SECRET`, and told
/// of the logouts of every instance through the hub), the guard that reads them, the guard that
/// grants each user its hub topics, and `POST /login`, `POST /logout`.
pub struct AuthModule;

impl Module for AuthModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<SharedHubModule>()
            .provide_factory(|config: Arc<SampleConfig>| async move {
                crate::config::users_from(config.sample_users.as_deref())
            })
            .provide_factory(|config: Arc<SampleConfig>| async move {
                let sessions = match &config.session_secret {
                    Some(secret) => Sessions::with_secret(secret.as_bytes()),
                    None => Sessions::random()?,
                };
                // Served over HTTPS (see `main.rs`), the session cookie is `Secure`.
                Ok::<_, getrandom::Error>(sessions.secure_cookies(config.tls_cert.is_some()))
            })
            .provide_factory(
                |sessions: Arc<Sessions>, users: Arc<Users>, hub: Arc<Hub>| async move {
                    // A logout on another instance revokes the session here too.
                    let heard = Arc::downgrade(&sessions);
                    hub.on_revoke(move |key| {
                        if let Some(sessions) = heard.upgrade() {
                            sessions.revoked_elsewhere(key);
                        }
                    });
                    Ok::<_, Infallible>(AuthGuard::new(sessions, users))
                },
            )
            // Which hub topics a logged-in user may read: the chat and their own notifications.
            .provide(TopicsGuard)
            .controllers::<(AuthController,)>()
            .exports::<(Sessions, AuthGuard, TopicsGuard, Users)>()
    }
}

/// The pages and the 28-sse stream.
pub struct PagesModule;

impl Module for PagesModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module.controllers::<(AppController, PagesController)>()
    }
}

/// The jobs and their progress streams.
pub struct JobsModule;

impl Module for JobsModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .provide(JobBoard::default())
            // Its routes are behind the auth guard, which it sees through the auth module.
            .import::<AuthModule>()
            .controllers::<(JobsController,)>()
    }
}

/// The chat, on the hub: in this process, or on Redis when `REDIS_URL` (or `REDIS_CLUSTER_URLS`)
/// is set.
pub struct ChatModule;

impl Module for ChatModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<SharedHubModule>()
            // The chat mentions users only, and its routes are behind the auth guard.
            .import::<AuthModule>()
            .controllers::<(ChatController,)>()
            .exports::<(Hub,)>()
    }
}

/// Each user's mentions, from the chat's hub.
pub struct NotificationsModule;

impl Module for NotificationsModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<ChatModule>()
            // Its routes are behind the auth and topics guards.
            .import::<AuthModule>()
            .controllers::<(NotificationsController,)>()
    }
}

/// The assistant's answers: runs kept in this process, or on Redis with `REDIS_URL`, so that
/// any instance serves any answer; a graceful shutdown waits for this instance's answers to end.
pub struct AssistantModule;

impl Module for AssistantModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .provide_factory(|config: Arc<SampleConfig>| async move {
                match &config.redis_url {
                    Some(url) => Runs::redis(url.as_str(), RunsConfig::default()).await,
                    None => Ok(Runs::new()),
                }
            })
            .lifecycle::<Runs>()
            // Its routes are behind the auth guard.
            .import::<AuthModule>()
            .controllers::<(AssistantController,)>()
    }
}

/// The app's own figures, live; behind the auth guard.
pub struct DashboardModule;

impl Module for DashboardModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<AuthModule>()
            .controllers::<(DashboardController,)>()
    }
}

/// The whole sample.
pub struct AppModule;

impl Module for AppModule {
    fn register(module: ModuleBuilder) -> ModuleBuilder {
        module
            .import::<AuthModule>()
            .import::<PagesModule>()
            .import::<JobsModule>()
            .import::<ChatModule>()
            .import::<NotificationsModule>()
            .import::<AssistantModule>()
            .import::<DashboardModule>()
    }
}

/// The sample built from its modules and `config`, with its health and metrics routes (the
/// metrics for a scraper with `METRICS_TOKEN`'s token); start it with `.init().await` (its hub,
/// users and sessions are made by async factories).
pub fn app_module(config: Arc<SampleConfig>) -> AppBuilder {
    let metrics_guard = MetricsGuard::new(config.metrics_token.as_deref());
    NestFactory::create_module::<AppModule>()
        .provide_arc(config)
        // `Server-Timing` on every answer and a line as each stream ends; NestJS's error body
        // with the request's path and the time. Here, on the binary's app, not on the routes:
        // `crate::app()`, the builder the tests embed, keeps its wire format as it was.
        .provide(Timing)
        .use_global_interceptor::<Timing>()
        // The chat's messages stamped with the server's time.
        .provide(ServerTime::on(&["/chat/events"]))
        .use_global_interceptor::<ServerTime>()
        .provide(HttpExceptionFilter)
        .use_global_filter::<HttpExceptionFilter>()
        .health_routes("/health")
        .provide(metrics_guard)
        .metrics_route("/metrics")
        .metrics_guard::<MetricsGuard>()
        .openapi(crate::openapi())
}
