//! Modules, NestJS's `@Module({ controllers, providers, imports, exports })`: an app built from
//! a graph of modules serves exactly their controllers, and a controller (or a module's async
//! factory) may take only what its own module provides and what the modules it imports export.
//!
//! A module is a type that implements [`Module`], saying what it holds through a
//! [`ModuleBuilder`]; a dynamic module (NestJS's `forRoot` / `forRootAsync`) is a function that
//! returns a `ModuleBuilder` built from its arguments. Providers given to the app itself
//! (`NestFactory::create_module::<M>().provide(...)`, `.config::<T>(...)`) are global, as a
//! NestJS `@Global()` module's are.
//!
//! ```standalone_crate
//! use std::sync::Arc;
//! use nestish_core::{Module, ModuleBuilder, NestFactory, controller, get, inject};
//!
//! pub struct Clock;
//!
//! pub struct TimeModule;
//!
//! impl Module for TimeModule {
//!     fn register(module: ModuleBuilder) -> ModuleBuilder {
//!         module.provide(Clock).exports::<(Clock,)>()
//!     }
//! }
//!
//! pub struct TimeController {
//!     clock: Arc<Clock>,
//! }
//!
//! #[controller("time")]
//! impl TimeController {
//!     #[inject]
//!     fn new(clock: Arc<Clock>) -> Self {
//!         Self { clock }
//!     }
//!
//!     #[get]
//!     fn now(&self) -> &'static str {
//!         "now"
//!     }
//! }
//!
//! pub struct AppModule;
//!
//! impl Module for AppModule {
//!     fn register(module: ModuleBuilder) -> ModuleBuilder {
//!         module.import::<TimeModule>().controllers::<(TimeController,)>()
//!     }
//! }
//!
//! let app = NestFactory::create_module::<AppModule>().build().unwrap();
//! # let _ = app;
//! ```

mod graph;
mod hub;

use std::any::{TypeId, type_name};
use std::fmt;
use std::sync::Arc;

pub(crate) use graph::ModuleGraph;
pub use hub::HubModule;

use crate::providers::Dependency;
use crate::{AppBuilder, ControllerSet, Factory};

/// A module: what it holds, said through the [`ModuleBuilder`] it is given.
///
/// ```
/// use nestish_core::{Module, ModuleBuilder};
///
/// pub struct Mailer;
/// pub struct MailModule;
///
/// impl Module for MailModule {
///     fn register(module: ModuleBuilder) -> ModuleBuilder {
///         module.provide(Mailer).exports::<(Mailer,)>()
///     }
/// }
/// ```
pub trait Module: 'static {
    /// Adds the module's controllers, providers, imports and exports to `module`.
    fn register(module: ModuleBuilder) -> ModuleBuilder;
}

/// A provider a module registers: its type, what it takes, and how the app gets it.
struct Provided {
    type_id: TypeId,
    name: &'static str,
    /// What an async factory takes (nothing for a value).
    dependencies: Vec<Dependency>,
    apply: Box<dyn FnOnce(AppBuilder) -> AppBuilder + Send>,
}

/// What a module holds: NestJS's `@Module({ controllers, providers, imports, exports })`, and
/// a dynamic module's value (`HubModule::for_root(hub)` returns one).
///
/// ```
/// use nestish_core::ModuleBuilder;
///
/// pub struct Hub;
///
/// /// NestJS's `HubModule.forRoot(hub)`.
/// pub fn hub_module(hub: Hub) -> ModuleBuilder {
///     ModuleBuilder::new("HubModule").provide(hub).exports::<(Hub,)>()
/// }
/// # let _ = hub_module(Hub);
/// ```
#[must_use = "a ModuleBuilder does nothing until it is imported or given to NestFactory"]
pub struct ModuleBuilder {
    name: &'static str,
    controllers: Vec<(TypeId, &'static str)>,
    providers: Vec<Provided>,
    imports: Vec<Import>,
    exports: Vec<(TypeId, &'static str)>,
    /// The providers whose lifecycle hooks it asks for, as `AppBuilder::lifecycle` does.
    lifecycles: Vec<fn(AppBuilder) -> AppBuilder>,
}

/// An imported module: a static one is built only when the graph reaches it, so that modules
/// importing each other are a cycle reported by name, not an endless recursion.
enum Import {
    Static(&'static str, fn() -> ModuleBuilder),
    Dynamic(ModuleBuilder),
}

impl Import {
    fn name(&self) -> &'static str {
        match self {
            Self::Static(name, _) => name,
            Self::Dynamic(module) => module.name,
        }
    }
}

impl fmt::Debug for ModuleBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleBuilder")
            .field("name", &self.name)
            .field("controllers", &self.controllers)
            .field("providers", &self.providers.len())
            .field(
                "imports",
                &self.imports.iter().map(Import::name).collect::<Vec<_>>(),
            )
            .field("exports", &self.exports)
            .finish()
    }
}

impl ModuleBuilder {
    /// An empty module named `name` (the name identifies it in messages, and a module imported
    /// twice by the same name is one module).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            controllers: Vec::new(),
            providers: Vec::new(),
            imports: Vec::new(),
            exports: Vec::new(),
            lifecycles: Vec::new(),
        }
    }

    /// Module `M`, as it registers itself, named after its type.
    pub fn of<M: Module>() -> Self {
        M::register(Self::new(short_name(type_name::<M>())))
    }

    /// Its controllers (a tuple: `(Chat,)`, `(Chat, Jobs)`).
    pub fn controllers<S: ControllerSet>(mut self) -> Self {
        self.controllers.extend(S::types());
        self
    }

    /// A provider it holds, as [`AppBuilder::provide`] registers one.
    pub fn provide<T: Send + Sync + 'static>(self, provider: T) -> Self {
        self.provide_arc(Arc::new(provider))
    }

    /// A provider it holds that the caller keeps a handle to.
    pub fn provide_arc<T: Send + Sync + 'static>(mut self, provider: Arc<T>) -> Self {
        self.providers.push(Provided {
            type_id: TypeId::of::<T>(),
            name: type_name::<T>(),
            dependencies: Vec::new(),
            apply: Box::new(move |app| app.provide_arc(provider)),
        });
        self
    }

    /// A provider it holds made by an async factory (see [`AppBuilder::provide_factory`]),
    /// which may take what this module can see.
    pub fn provide_factory<Args, F: Factory<Args>>(mut self, factory: F) -> Self {
        self.providers.push(Provided {
            type_id: TypeId::of::<F::Output>(),
            name: type_name::<F::Output>(),
            dependencies: F::dependencies(),
            apply: Box::new(move |app| app.provide_factory(factory)),
        });
        self
    }

    /// Imports module `M`: this module's controllers and factories may take what it exports.
    pub fn import<M: Module>(mut self) -> Self {
        self.imports
            .push(Import::Static(short_name(type_name::<M>()), Self::of::<M>));
        self
    }

    /// Imports a dynamic module, as `HubModule::for_root(hub)` returns it.
    pub fn import_module(mut self, module: ModuleBuilder) -> Self {
        self.imports.push(Import::Dynamic(module));
        self
    }

    /// Calls the [`Lifecycle`](crate::Lifecycle) hooks of provider `T`, as
    /// [`AppBuilder::lifecycle`] does: a module says so of the providers it holds, as NestJS's
    /// module providers implement `OnModuleInit` and its kin.
    ///
    /// ```
    /// use nestish_core::{BoxError, Lifecycle, Module, ModuleBuilder};
    ///
    /// pub struct Pool;
    ///
    /// impl Lifecycle for Pool {
    ///     async fn on_module_init(&self) -> Result<(), BoxError> {
    ///         Ok(()) // open the connections
    ///     }
    /// }
    ///
    /// pub struct DatabaseModule;
    ///
    /// impl Module for DatabaseModule {
    ///     fn register(module: ModuleBuilder) -> ModuleBuilder {
    ///         module.provide(Pool).lifecycle::<Pool>().exports::<(Pool,)>()
    ///     }
    /// }
    /// ```
    pub fn lifecycle<T: crate::Lifecycle>(mut self) -> Self {
        self.lifecycles.push(super::app::AppBuilder::lifecycle::<T>);
        self
    }

    /// What the modules importing this one may take: providers it holds, or that a module it
    /// imports exports (a re-export). A tuple of types: `(Hub,)`.
    pub fn exports<S: ControllerSet>(mut self) -> Self {
        self.exports.extend(S::types());
        self
    }
}

/// `crate::chat::ChatModule` → `ChatModule`.
fn short_name(full: &'static str) -> &'static str {
    full.rsplit("::").next().unwrap_or(full)
}

impl AppBuilder {
    /// Registers the module graph's providers on the app and chooses its controllers.
    pub(crate) fn with_modules(mut self, root: ModuleBuilder) -> Self {
        let mut graph = ModuleGraph::default();
        let mut apply = Vec::new();
        if let Err(problem) = graph.add(root, &mut apply) {
            self.problems.push(problem);
        }
        for register in apply {
            self = register(self);
        }
        self.chosen = Some(graph.controllers());
        self.modules = Some(graph);
        self
    }
}
