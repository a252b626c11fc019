//! Lifecycle hooks, NestJS's `OnModuleInit`, `OnApplicationBootstrap`,
//! `BeforeApplicationShutdown` and `OnApplicationShutdown`: called on the providers that
//! implement [`Lifecycle`], start-up hooks in dependency order, shutdown hooks in reverse.

use std::any::{TypeId, type_name};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::Providers;
use crate::{BoxError, Error};

/// What a provider does as the application starts and stops, NestJS's lifecycle events. Every
/// hook is optional (the default does nothing); register the provider's hooks with
/// [`AppBuilder::lifecycle`](crate::AppBuilder::lifecycle), and start the app with
/// [`init`](crate::AppBuilder::init).
///
/// | hook | when | if it fails |
/// |---|---|---|
/// | `on_module_init` | once every provider is made, in dependency order | start-up fails naming the provider |
/// | `on_application_bootstrap` | after every `on_module_init`, before the app serves | start-up fails naming the provider |
/// | `before_application_shutdown` | once a shutdown starts (no new connections, streams told to end), in reverse order | logged, naming the provider |
/// | `on_application_shutdown` | after every stream and connection has ended, in reverse order | logged, naming the provider |
///
/// Shutdown hooks run when nestish's server stops ([`Server::serve`](crate::Server::serve),
/// [`App::listen`](crate::App::listen)), each of the two rounds within the shutdown timeout
/// ([`AppBuilder::shutdown_timeout`](crate::AppBuilder::shutdown_timeout)): a hook still
/// running at the deadline is abandoned, and those after it skipped, each named in a log line.
///
/// ```
/// use nestish_core::{BoxError, Lifecycle};
///
/// pub struct Outbox;
///
/// impl Lifecycle for Outbox {
///     async fn on_module_init(&self) -> Result<(), BoxError> {
///         // open the outbox table, replay what is pending...
///         Ok(())
///     }
///
///     async fn on_application_shutdown(&self) -> Result<(), BoxError> {
///         // flush what the last requests queued
///         Ok(())
///     }
/// }
///
/// let builder = nestish_core::NestFactory::create()
///     .provide(Outbox)
///     .lifecycle::<Outbox>();
/// # let _ = builder;
/// ```
pub trait Lifecycle: Send + Sync + 'static {
    /// NestJS's `onModuleInit`: once every provider is made.
    fn on_module_init(&self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }

    /// NestJS's `onApplicationBootstrap`: once every `on_module_init` has returned.
    fn on_application_bootstrap(&self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }

    /// NestJS's `beforeApplicationShutdown`: once a graceful shutdown has started, before the
    /// server waits for open connections.
    fn before_application_shutdown(&self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }

    /// NestJS's `onApplicationShutdown`: after every stream and connection has ended.
    fn on_application_shutdown(&self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }
}

/// One of the four hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hook {
    ModuleInit,
    ApplicationBootstrap,
    BeforeApplicationShutdown,
    ApplicationShutdown,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Self::ModuleInit => "on_module_init",
            Self::ApplicationBootstrap => "on_application_bootstrap",
            Self::BeforeApplicationShutdown => "before_application_shutdown",
            Self::ApplicationShutdown => "on_application_shutdown",
        }
    }
}

type HookFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;

/// A [`Lifecycle`] behind a pointer, whatever its type.
trait ErasedLifecycle: Send + Sync {
    fn call(&self, hook: Hook) -> HookFuture<'_>;
}

impl<T: Lifecycle> ErasedLifecycle for T {
    fn call(&self, hook: Hook) -> HookFuture<'_> {
        match hook {
            Hook::ModuleInit => Box::pin(self.on_module_init()),
            Hook::ApplicationBootstrap => Box::pin(self.on_application_bootstrap()),
            Hook::BeforeApplicationShutdown => Box::pin(self.before_application_shutdown()),
            Hook::ApplicationShutdown => Box::pin(self.on_application_shutdown()),
        }
    }
}

/// A provider whose hooks were registered, found among the providers once they are made.
pub(crate) struct HookRef {
    pub(crate) type_id: TypeId,
    pub(crate) name: &'static str,
    find: fn(&Providers) -> Option<Arc<dyn ErasedLifecycle>>,
}

impl HookRef {
    pub(crate) fn of<T: Lifecycle>() -> Self {
        Self {
            type_id: TypeId::of::<T>(),
            name: type_name::<T>(),
            find: |providers| providers.get::<T>().map(|p| p as Arc<dyn ErasedLifecycle>),
        }
    }
}

/// The providers with hooks, in dependency order (each after those it takes).
#[derive(Clone, Default)]
pub(crate) struct Hooks(Arc<[(&'static str, Arc<dyn ErasedLifecycle>)]>);

impl Hooks {
    /// The hooks of `refs`, in that order, found among `providers`.
    pub(crate) fn new(refs: &[HookRef], providers: &Providers) -> Self {
        Self(
            refs.iter()
                .filter_map(|hook| Some((hook.name, (hook.find)(providers)?)))
                .collect(),
        )
    }

    /// `on_module_init` on each, then `on_application_bootstrap` on each; the first failure
    /// fails start-up naming its provider.
    pub(crate) async fn start(&self) -> Result<(), Error> {
        for hook in [Hook::ModuleInit, Hook::ApplicationBootstrap] {
            for (provider, lifecycle) in self.0.iter() {
                lifecycle.call(hook).await.map_err(|source| Error::Hook {
                    provider,
                    hook: hook.name(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// `hook` on each, in reverse order, within `timeout` for them all; failures are logged,
    /// and so is each hook abandoned at the deadline or skipped after it.
    pub(crate) async fn stop(&self, hook: Hook, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut late = false;
        for (provider, lifecycle) in self.0.iter().rev() {
            if late {
                tracing::error!(
                    target: "nestish",
                    provider,
                    "the {} hook of {provider} is skipped: the shutdown timeout has passed",
                    hook.name()
                );
                continue;
            }
            match tokio::time::timeout_at(deadline, lifecycle.call(hook)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(
                    target: "nestish",
                    provider,
                    "the {} hook of {provider} failed: {error}",
                    hook.name()
                ),
                Err(_) => {
                    late = true;
                    tracing::error!(
                        target: "nestish",
                        provider,
                        "the {} hook of {provider} was still running at the shutdown timeout: abandoned",
                        hook.name()
                    );
                }
            }
        }
    }
}
