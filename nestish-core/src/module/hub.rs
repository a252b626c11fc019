//! [`HubModule`]: the event hub as a dynamic module, NestJS's `forRoot` / `forRootAsync`.

use super::ModuleBuilder;
use crate::Factory;
use crate::hub::Hub;

/// The event hub as a dynamic module that provides and exports [`Hub`], so the modules that
/// import it share one hub.
///
/// ```
/// use std::sync::Arc;
/// use nestish_core::hub::Hub;
/// use nestish_core::{HubModule, ModuleBuilder};
///
/// pub struct Settings { pub redis_url: Option<String> }
///
/// // In a module: the hub in this process, or on Redis when the settings say so.
/// let in_process = ModuleBuilder::new("ChatModule").import_module(HubModule::for_root(Hub::new()));
/// let configured = ModuleBuilder::new("ChatModule").import_module(HubModule::for_root_async(
///     |settings: Arc<Settings>| async move {
///         match &settings.redis_url {
///             Some(url) => Hub::redis(url.as_str()).connect().await,
///             None => Ok(Hub::new()),
///         }
///     },
/// ));
/// # let _ = (in_process, configured);
/// ```
#[derive(Debug)]
pub struct HubModule;

impl HubModule {
    /// NestJS's `HubModule.forRoot(hub)`: this hub.
    pub fn for_root(hub: Hub) -> ModuleBuilder {
        ModuleBuilder::new("HubModule")
            .provide(hub)
            .exports::<(Hub,)>()
    }

    /// NestJS's `HubModule.forRootAsync({ inject, useFactory })`: the hub an async factory
    /// makes from other providers (the configuration), at start-up.
    pub fn for_root_async<Args, F: Factory<Args, Output = Hub>>(factory: F) -> ModuleBuilder {
        ModuleBuilder::new("HubModule")
            .provide_factory(factory)
            .exports::<(Hub,)>()
    }
}
