//! Start-up, in two steps: [`AppBuilder::plan`] places every route and checks the provider graph
//! without making anything (so every missing provider is reported at once), then, once the
//! async factories have run, [`AppBuilder::finish`] builds the controllers and the router.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::{App, AppBuilder};
use crate::guard;
use crate::hub::Hub;
use crate::panic::message as panic_message;
use crate::providers::graph::Graph;
use crate::providers::lifecycle::Hooks;
use crate::routing::builtin::Builtins;
use crate::routing::guarded;
use crate::routing::placement::{Placed, Placement};
use crate::routing::record::{self, Controller, RouteKind, RouteRecord};
use crate::routing::router::{Entry, Router};
use crate::{Error, Routes};

/// The routes placed and the provider graph checked.
pub(super) struct Plan {
    routes: Vec<(&'static RouteRecord, Vec<Placed>)>,
    /// The factories, in the order to await them.
    pub(super) order: Vec<usize>,
    health: Option<String>,
    metrics: Option<String>,
}

impl AppBuilder {
    /// Chooses the routes, places them, and checks that every provider, guard and factory
    /// argument they need will exist, reporting every problem found in one error.
    pub(super) fn plan(&mut self) -> Result<Plan, Error> {
        self.check()?;
        let mut records = record::routes();
        if let Some(chosen) = &self.chosen {
            for (type_id, name) in chosen {
                if !records.iter().any(|r| (r.controller_type)() == *type_id) {
                    return Err(Error::UnknownController(name));
                }
            }
            records.retain(|r| chosen.iter().any(|(id, _)| (r.controller_type)() == *id));
        }
        let mut placement = Placement::new(self.global_prefix.as_ref(), self.versioning.as_ref())?;
        let mut graph = Graph::new(&self.providers, &self.factories);
        graph.assume(&self.reported);
        let mut problems = std::mem::take(&mut self.problems);
        let order = graph.order(&mut problems);
        if let Some(modules) = &self.modules {
            modules.check(&records, &mut problems);
        }
        let mut controllers = HashSet::new();
        let mut routes = Vec::with_capacity(records.len());
        for record in records {
            if controllers.insert((record.controller_type)()) {
                for dependency in (record.dependencies)() {
                    if dependency.required && !graph.has(dependency.type_id) {
                        problems.push(Error::MissingProvider {
                            controller: record.source.controller,
                            provider: dependency.type_name,
                        });
                    }
                }
            }
            match placement.place(record) {
                Ok(places) => {
                    for placed in &places {
                        let missing =
                            guarded::missing(&self.global_guards, record, placed.path, &graph);
                        problems.extend(missing);
                        problems.extend(self.advice.missing(record, placed.path, &graph));
                    }
                    routes.push((record, places));
                }
                Err(problem) => problems.push(problem),
            }
        }
        let mut builtin = |what: &str, path: Option<&str>| match path
            .map(|path| placement.builtin(what, path))
            .transpose()
        {
            Ok(placed) => placed,
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        let health = builtin("the health routes", self.health.as_deref());
        let metrics = builtin("the metrics route", self.metrics.as_deref());
        problems.extend(
            guard::unprovided(&self.metrics_guards, &graph)
                .map(|guard| Error::MissingMetricsGuard { guard }),
        );
        for hooks in &self.hooks {
            if !graph.has(hooks.type_id) {
                problems.push(Error::HooksWithoutProvider(hooks.name));
            }
        }
        if let Err(problem) = placement.check_exclusions() {
            problems.push(problem);
        }
        Error::from_all(once_each(problems))?;
        Ok(Plan {
            routes,
            order,
            health,
            metrics,
        })
    }

    /// Builds each controller once from the providers (all made by now), the router, and the
    /// layers around it, and logs the route table (`Mapped {/sse, GET} (SSE) route`, at `INFO`,
    /// target `nestish::routes`).
    pub(super) fn finish(self, plan: Plan) -> Result<App, Error> {
        let mut controllers: HashMap<TypeId, Controller> = HashMap::new();
        let mut entries = Vec::with_capacity(plan.routes.len());
        for (record, places) in &plan.routes {
            let controller = match controllers.entry((record.controller_type)()) {
                std::collections::hash_map::Entry::Occupied(built) => Arc::clone(built.get()),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let built = (record.construct)(&self.providers).map_err(|missing| {
                        Error::MissingProvider {
                            controller: record.source.controller,
                            provider: missing.type_name,
                        }
                    })?;
                    Arc::clone(slot.insert(built))
                }
            };
            for placed in places {
                let guards =
                    guarded::resolve(&self.global_guards, record, placed.path, &self.providers)?;
                let (interceptors, filters) =
                    self.advice.resolve(record, placed.path, &self.providers)?;
                entries.push(Entry {
                    record,
                    path: placed.path,
                    pattern: placed.pattern,
                    controller: Arc::clone(&controller),
                    guards,
                    interceptors,
                    filters,
                });
            }
        }
        // The router takes them by pattern, then method; the rest makes the order (and so
        // which of two duplicates is named first) the same at every start.
        entries.sort_by_key(|e| {
            let source = &e.record.source;
            let at = (source.controller, source.method, source.file, source.line);
            (e.pattern, e.record.verb, at)
        });
        let state = self.state;
        let metrics_guards = guard::resolve_all(&self.metrics_guards, &self.providers)
            .map_err(|guard| Error::MissingMetricsGuard { guard })?;
        let builtins = Builtins::new(
            plan.health.as_deref(),
            plan.metrics.as_deref(),
            metrics_guards,
        )?;
        if plan.routes.is_empty() {
            tracing::warn!(
                target: "nestish::routes",
                "no routes: no #[controller] is linked into this binary"
            );
        }
        let table: Vec<_> = entries.iter().map(|e| (e.path, e.record)).collect();
        let entries_have_filters = entries.iter().any(|e| !e.filters.is_empty());
        #[cfg(feature = "openapi")]
        let global_filters = !self.advice.filters.is_empty();
        #[cfg(feature = "openapi")]
        let (builtins, api) = match &self.openapi {
            Some(config) => {
                let (api, documents) =
                    crate::apidoc::documents(config, &table, &self.global_guards, global_filters);
                let mut builtins = match builtins {
                    Some(builtins) => builtins,
                    None => Builtins::some(None, None, Arc::from([]))?,
                };
                builtins.documents = documents;
                (Some(builtins), Some(Arc::new(api)))
            }
            None if self.describe => {
                let api = crate::apidoc::api(&table, &self.global_guards, global_filters);
                (builtins, Some(Arc::new(api)))
            }
            None => (builtins, None),
        };
        // The hub a route's `GrantedHub` argument reaches: the one the app provides.
        let hub = self.providers.get::<Hub>().map(|hub| Hub::clone(&hub));
        if let Some(hub) = &hub {
            // Revocations through the hub end this app's streams, as long as it lives.
            let tables = Arc::downgrade(&state.admissions);
            hub.on_revoke_while(move |key| {
                tables.upgrade().map(|tables| tables.revoke(key)).is_some()
            });
        }
        let mut router = Router::new(
            entries,
            self.sse_keep_alive,
            self.limits,
            &state,
            builtins,
            hub,
        )?;
        router.access_log = self.access_log.unwrap_or(true);
        router.filters = self.advice.resolve_global_filters(&self.providers)?;
        if !router.filters.is_empty() || entries_have_filters {
            // From now on, error answers carry their error for the filters (see `Raised`).
            crate::response::filters_in_use();
        }
        #[cfg(feature = "rate-limit")]
        if let Some(rate) = self.limits.new_streams_per_address {
            let _ = state
                .admissions
                .new_streams
                .set(crate::admission::NewStreams::new(rate));
        }
        if self.access_log.is_none()
            && let Some((_, trace)) = self.layers.iter().find(|(_, name)| is_trace_layer(name))
        {
            // Two access logs would write two lines per request: say how to keep one.
            tracing::info!(
                target: "nestish",
                layer = trace,
                "a TraceLayer is applied and nestish writes an access line per request too: \
                 keep one (`.access_log(false)`, or the layer's `.on_response(())`)"
            );
        }
        for (path, record) in table {
            let sse = if record.kind() == RouteKind::Sse {
                " (SSE)"
            } else {
                ""
            };
            tracing::info!(
                target: "nestish::routes",
                controller = record.source.controller,
                "Mapped {{{}, {}}}{sse} route",
                path,
                record.verb.as_str(),
            );
        }
        let mut routes = Routes::new(Arc::new(router));
        for (index, (layer, type_name)) in self.layers.into_iter().enumerate() {
            // Layers check their configuration when applied, some by panicking (tower-http's
            // `CorsLayer`): a start-up mistake, so an error naming the layer, not a crash.
            routes =
                catch_unwind(AssertUnwindSafe(|| layer(routes))).map_err(|panic| Error::Layer {
                    index: index + 1,
                    type_name,
                    message: panic_message(&*panic).to_owned(),
                })?;
        }
        // Counted outermost: with layers, the answer the last one gives.
        let routes = routes.counted(Arc::clone(&state.tally));
        Ok(App {
            routes,
            state,
            limits: self.limits,
            signals: self.signals,
            reuse_port: self.reuse_port,
            hooks: Hooks::default(),
            #[cfg(feature = "openapi")]
            api,
        })
    }
}

/// `problems` without repeats: a guard missing on every route of a controller, a const prefix
/// refused for each of its routes, are one problem each.
fn once_each(problems: Vec<Error>) -> Vec<Error> {
    let mut seen = HashSet::new();
    problems
        .into_iter()
        .filter(|problem| {
            let key = match problem {
                Error::MissingGuard { guard, .. } => (*guard).to_owned(),
                Error::MissingInterceptor { interceptor, .. } => (*interceptor).to_owned(),
                Error::MissingFilter { filter, .. } => (*filter).to_owned(),
                other => other.to_string(),
            };
            seen.insert(key)
        })
        .collect()
}

/// Whether a layer given to [`AppBuilder::layer`] is tower-http's `TraceLayer`, which logs
/// requests too.
fn is_trace_layer(type_name: &str) -> bool {
    type_name.starts_with("tower_http::trace::layer::TraceLayer")
}
