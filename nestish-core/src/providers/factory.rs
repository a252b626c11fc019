//! Async providers: NestJS's `useFactory` with `inject`. A factory is an async closure whose
//! arguments are other providers; start-up awaits it once, after the providers it takes.

use std::any::{TypeId, type_name};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{Dependency, Inject, NotProvided, Providers};
use crate::BoxError;
use crate::panic::message as panic_message;

/// What a factory's future gives: the provider, ready to be registered.
type Made = Box<dyn FnOnce(&mut Providers) + Send>;
/// A factory's running future, ready to register what it makes.
type Making = FactoryFuture<Made>;
/// Takes a factory's arguments and starts it.
type Start = Box<dyn FnOnce(&Providers) -> Result<Making, NotProvided> + Send>;

/// A factory's future, boxed: what [`Factory::make`] starts.
pub type FactoryFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// An async factory of a provider: an `async` closure (or a closure returning a future) whose
/// arguments are providers, `Arc<T>` or `Option<Arc<T>>`, and whose future gives
/// `Result<Output, E>` with any error `E` that converts into a [`BoxError`].
/// See [`AppBuilder::provide_factory`](crate::AppBuilder::provide_factory).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a provider factory",
    label = "not an async factory of a provider",
    note = "a factory is a closure like `|config: Arc<Config>| async move {{ Pool::open(&config.url).await }}`: its arguments are `Arc<T>` or `Option<Arc<T>>` (at most eight), and it returns a future of `Result<Provider, E>`"
)]
pub trait Factory<Args>: Send + 'static {
    /// The provider it makes, injected as `Arc<Output>`.
    type Output: Send + Sync + 'static;

    /// The providers it takes, in order.
    fn dependencies() -> Vec<Dependency>;

    /// Takes its arguments from `providers` and starts making the provider.
    ///
    /// # Errors
    ///
    /// [`NotProvided`] when a required argument is absent.
    fn make(self, providers: &Providers) -> Result<FactoryFuture<Self::Output>, NotProvided>;
}

macro_rules! factories {
    ($($arg:ident),*) => {
        impl<F, Fut, T, E, $($arg),*> Factory<($($arg,)*)> for F
        where
            F: FnOnce($($arg),*) -> Fut + Send + 'static,
            Fut: Future<Output = Result<T, E>> + Send + 'static,
            T: Send + Sync + 'static,
            E: Into<BoxError>,
            $($arg: Inject,)*
        {
            type Output = T;

            fn dependencies() -> Vec<Dependency> {
                let all: Vec<Option<Dependency>> = vec![$($arg::dependency()),*];
                all.into_iter().flatten().collect()
            }

            #[allow(non_snake_case, unused_variables)]
            fn make(
                self,
                providers: &Providers,
            ) -> Result<FactoryFuture<T>, NotProvided> {
                $(let $arg = $arg::inject(providers)?;)*
                // Called here, so the future holds only what the factory's own future holds.
                let making = self($($arg),*);
                Ok(Box::pin(async move { making.await.map_err(Into::into) }))
            }
        }
    };
}

factories!();
factories!(A);
factories!(A, B);
factories!(A, B, C);
factories!(A, B, C, D);
factories!(A, B, C, D, E1);
factories!(A, B, C, D, E1, F1);
factories!(A, B, C, D, E1, F1, G);
factories!(A, B, C, D, E1, F1, G, H);

/// A factory registered on the builder, waiting for start-up.
pub(crate) struct Pending {
    /// The type it makes.
    pub(crate) output: TypeId,
    /// Its name, for messages.
    pub(crate) name: &'static str,
    pub(crate) dependencies: Vec<Dependency>,
    start: Start,
}

impl Pending {
    pub(crate) fn new<Args, F: Factory<Args>>(factory: F) -> Self {
        Self {
            output: TypeId::of::<F::Output>(),
            name: type_name::<F::Output>(),
            dependencies: F::dependencies(),
            start: Box::new(move |providers| {
                let making = factory.make(providers)?;
                Ok(Box::pin(async move {
                    let made = making.await?;
                    Ok(Box::new(move |providers: &mut Providers| {
                        providers.insert(Arc::new(made));
                    }) as Made)
                }))
            }),
        }
    }

    /// Awaits the factory with the providers made so far, and registers what it makes. Needs a
    /// tokio runtime, as the rest of nestish does.
    pub(crate) async fn run(self, providers: &mut Providers) -> Result<(), crate::Error> {
        let name = self.name;
        let making =
            (self.start)(providers).map_err(|missing| crate::Error::FactoryDependency {
                provider: name,
                dependency: missing.type_name,
            })?;
        // On a task of its own, so that a factory that panics fails start-up naming its
        // provider rather than unwinding through the caller of `init`.
        let made = match tokio::spawn(making).await {
            Ok(made) => made,
            Err(join) => Err(match join.try_into_panic() {
                Ok(panic) => format!("it panicked: {}", panic_message(&*panic)).into(),
                Err(join) => join.into(),
            }),
        };
        let made = made.map_err(|source| crate::Error::Factory {
            provider: name,
            source,
        })?;
        made(providers);
        Ok(())
    }
}
