//! [`Providers`]: the services registered on the factory, injected into controllers.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub(crate) mod factory;
pub(crate) mod graph;
pub(crate) mod lifecycle;

pub use factory::{Factory, FactoryFuture};
pub use lifecycle::Lifecycle;

/// The services an application was given with
/// [`AppBuilder::provide`](crate::AppBuilder::provide), one per type, each shared as an `Arc`.
///
/// A controller receives them through its `#[inject]` constructor, whose arguments are
/// `Arc<T>` (required) or `Option<Arc<T>>` (optional):
///
/// ```standalone_crate
/// use std::sync::Arc;
/// use nestish_core::{controller, get, inject};
///
/// pub struct Greeter {
///     greeting: String,
/// }
///
/// pub struct HelloController {
///     greeter: Arc<Greeter>,
/// }
///
/// #[controller("hello")]
/// impl HelloController {
///     #[inject]
///     fn new(greeter: Arc<Greeter>) -> Self {
///         Self { greeter }
///     }
///
///     #[get]
///     fn hello(&self) -> String {
///         self.greeter.greeting.clone()
///     }
/// }
///
/// let app = nestish_core::NestFactory::create()
///     .provide(Greeter { greeting: "hi".into() })
///     .build()
///     .expect("every provider is there");
/// # let _ = app;
/// ```
///
/// A provider may be a trait object, `Arc<dyn Trait>`, so that a test can swap the service for
/// a fake: see [`AppBuilder::provide_dyn`](crate::AppBuilder::provide_dyn).
#[derive(Clone, Default)]
pub struct Providers {
    /// Each value is the `Arc<T>` itself, keyed by `T` (which may be `dyn Trait`).
    by_type: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Providers {
    pub(crate) fn insert<T: ?Sized + Send + Sync + 'static>(&mut self, value: Arc<T>) {
        self.by_type.insert(TypeId::of::<T>(), Arc::new(value));
    }

    pub(crate) fn remove(&mut self, type_id: TypeId) {
        self.by_type.remove(&type_id);
    }

    /// The type of every provider registered.
    pub(crate) fn type_ids(&self) -> impl Iterator<Item = TypeId> + '_ {
        self.by_type.keys().copied()
    }

    /// The provider of type `T` (a type, or `dyn Trait`), if one was registered.
    ///
    /// ```
    /// let providers = nestish_core::Providers::default();
    /// assert!(providers.get::<String>().is_none());
    /// assert!(providers.get::<dyn std::fmt::Debug + Send + Sync>().is_none());
    /// ```
    #[must_use]
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = self.by_type.get(&TypeId::of::<T>())?;
        value.downcast_ref::<Arc<T>>().map(Arc::clone)
    }
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("count", &self.by_type.len())
            .finish()
    }
}

/// A constructor argument that `#[inject]` fills from the [`Providers`]: `Arc<T>`, or
/// `Option<Arc<T>>` for a provider that may be absent; `T` may be a `dyn Trait`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected",
    label = "not a provider",
    note = "an #[inject] constructor takes its providers as `Arc<T>` (or `Option<Arc<T>>` when optional), registered with `NestFactory::create().provide(value)`"
)]
pub trait Inject: Sized {
    /// Takes the argument from `providers`.
    ///
    /// # Errors
    ///
    /// [`NotProvided`] naming the type when a required provider is absent.
    fn inject(providers: &Providers) -> Result<Self, NotProvided>;

    /// The provider it takes, if any: start-up checks that it exists before anything is made
    /// (reporting every missing one at once), and makes it first when a factory makes it.
    fn dependency() -> Option<Dependency> {
        None
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Arc<T> {
    fn inject(providers: &Providers) -> Result<Self, NotProvided> {
        providers.get().ok_or(NotProvided {
            type_name: type_name::<T>(),
        })
    }

    fn dependency() -> Option<Dependency> {
        Some(Dependency::of::<T>(true))
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Option<Arc<T>> {
    fn inject(providers: &Providers) -> Result<Self, NotProvided> {
        Ok(providers.get())
    }

    fn dependency() -> Option<Dependency> {
        Some(Dependency::of::<T>(false))
    }
}

/// A provider that a constructor or a factory takes.
///
/// ```
/// use std::sync::Arc;
/// use nestish_core::Inject;
///
/// let dependency = <Option<Arc<String>> as Inject>::dependency().unwrap();
/// assert_eq!(dependency.type_name, "alloc::string::String");
/// assert!(!dependency.required);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// Its type (a type, or `dyn Trait`).
    pub type_id: TypeId,
    /// The same, as `std::any::type_name` writes it.
    pub type_name: &'static str,
    /// Whether start-up fails without it (`Arc<T>`), or the argument is `None` (`Option<Arc<T>>`).
    pub required: bool,
}

impl Dependency {
    /// The dependency on a provider of type `T`.
    #[must_use]
    pub fn of<T: ?Sized + 'static>(required: bool) -> Self {
        Self {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
            required,
        }
    }
}

/// A required provider that was not registered: what [`Inject::inject`] and
/// [`Factory::make`](crate::Factory::make) answer when a provider they take is absent. Start-up
/// reports it, with whom it was missing for, as [`Error::MissingProvider`](crate::Error::MissingProvider)
/// (a controller's `#[inject]` constructor) or
/// [`Error::FactoryDependency`](crate::Error::FactoryDependency) (an async factory).
///
/// ```
/// use nestish_core::{Inject, Providers};
/// use std::sync::Arc;
///
/// let missing = <Arc<String> as Inject>::inject(&Providers::default()).unwrap_err();
/// assert_eq!(missing.type_name, "alloc::string::String");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotProvided {
    /// The missing type, as `std::any::type_name` writes it.
    pub type_name: &'static str,
}
