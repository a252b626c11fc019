//! Method + path → endpoint, on `matchit` (the radix-tree router axum uses).

use crate::admission::{Admission, Caps};
use crate::state::State;
use crate::{Error, Limits};
use std::sync::Arc;
use std::time::Duration;

use crate::extract::{BodyLimits, PathParams};
use crate::filter::Filters;
use crate::guard::Guards;
use crate::hub::Hub;
use crate::intercept::Interceptors;
use crate::observe::RouteMetrics;
use crate::routing::builtin::Builtins;
use crate::routing::record::{Controller, HandlerFn, RouteContext, RouteKind, RouteRecord, Verb};
use crate::sse::{KeepAlive, SseConfig, SseOptions};

/// A route to register: its record, where it is served, its controller and its guards.
pub(crate) struct Entry {
    pub(crate) record: &'static RouteRecord,
    /// The full path, NestJS style (`/api/v1/cats/:id`): it names the route in logs and metrics.
    pub(crate) path: &'static str,
    /// The same in the router's syntax, parameters named by position (`/api/v1/cats/{p0}`).
    pub(crate) pattern: &'static str,
    pub(crate) controller: Controller,
    pub(crate) guards: Guards,
    pub(crate) interceptors: Interceptors,
    pub(crate) filters: Filters,
}

/// One registered route, with the controller instance it calls.
pub(crate) struct Endpoint {
    /// The route as declared.
    pub(crate) record: &'static RouteRecord,
    /// Its full path: its template names it in logs and metrics.
    pub(crate) path: &'static str,
    pub(crate) verb: Verb,
    pub(crate) kind: RouteKind,
    pub(crate) handler: HandlerFn,
    pub(crate) context: RouteContext,
    /// Whether a request goes through `guarded` (guards, interceptors or filters): one branch
    /// for a route that has none.
    pub(crate) chained: bool,
    /// Run before the handler; empty when the route has none.
    pub(crate) guards: Guards,
    /// Run around the handler (after the guards); empty when the route has none.
    pub(crate) interceptors: Interceptors,
    /// Shape its error answers; empty when neither the route nor the app has any.
    pub(crate) filters: Filters,
    /// The app's hub, for the topics its guards grant (`GrantedHub`); `None` without one.
    pub(crate) hub: Option<Hub>,
}

/// What a request's method and path found.
pub(crate) enum Lookup<'a> {
    Found(&'a Endpoint, PathParams),
    /// The path exists, with other methods (listed for the `Allow` header).
    MethodNotAllowed(&'a [Endpoint]),
    NotFound,
}

pub(crate) struct Router {
    paths: matchit::Router<usize>,
    /// The endpoints of each path, indexed by the value `paths` stores.
    endpoints: Vec<Vec<Endpoint>>,
    /// Health and metrics routes, answered before the application's.
    pub(crate) builtins: Option<Box<Builtins>>,
    /// The application's state, for the built-in routes.
    pub(crate) state: Arc<State>,
    /// Whether each request gets its access line ([`crate::AppBuilder::access_log`]).
    pub(crate) access_log: bool,
    /// The app's global exception filters, for the answers of requests no route takes.
    pub(crate) filters: Filters,
}

impl Router {
    /// Registers the routes, which come sorted by pattern then method, with their controllers.
    /// `keep_alive` is the application's heartbeat interval, for routes that set none.
    pub(crate) fn new(
        routes: impl IntoIterator<Item = Entry>,
        keep_alive: Option<Duration>,
        limits: Limits,
        state: &Arc<State>,
        builtins: Option<Box<Builtins>>,
        hub: Option<Hub>,
    ) -> Result<Self, Error> {
        let mut router = Self {
            paths: matchit::Router::new(),
            endpoints: Vec::new(),
            builtins: None,
            state: Arc::clone(state),
            access_log: true,
            filters: Filters::default(),
        };
        let mut previous: Option<(&'static RouteRecord, &'static str)> = None;
        for Entry {
            record,
            path,
            pattern,
            controller,
            guards,
            interceptors,
            filters,
        } in routes
        {
            let options = record.sse.unwrap_or(SseOptions::DEFAULT);
            let endpoint = Endpoint {
                record,
                path,
                verb: record.verb,
                kind: record.kind(),
                handler: record.handler,
                context: RouteContext {
                    controller,
                    sse: Arc::new(SseConfig {
                        route: path,
                        heartbeat: match options.keep_alive {
                            KeepAlive::AppDefault => keep_alive,
                            KeepAlive::Off => None,
                            KeepAlive::Every(interval) => Some(interval),
                        }
                        .map(|interval| state.heartbeats.wheel(interval)),
                        retry: options.retry,
                        max_lifetime: limits.sse_max_lifetime,
                        shutdown_event: options.shutdown_event,
                        drain_window: limits.drain_window,
                        metrics: (record.kind() == RouteKind::Sse).then(|| RouteMetrics::new(path)),
                        tally: Arc::clone(&state.tally),
                        admission: Admission {
                            caps: Caps {
                                app_per_principal: limits.max_streams_per_principal,
                                app_per_address: limits.max_streams_per_address,
                                route_per_principal: options.max_per_principal,
                                route_per_address: options.max_per_address,
                            },
                            grace: limits.credential_grace,
                            rate_by_address: limits.new_streams_per_address.is_some(),
                        },
                        filters: (!filters.is_empty()).then(|| filters.clone()),
                    }),
                    body: BodyLimits {
                        size: limits.body_limit,
                        read_timeout: limits.body_read_timeout,
                        idle_timeout: limits.body_idle_timeout,
                    },
                    state: Arc::clone(state),
                    ticket: None,
                    hooks: None,
                },
                chained: !guards.is_empty() || !interceptors.is_empty() || !filters.is_empty(),
                guards,
                interceptors,
                filters,
                hub: hub.clone(),
            };
            match previous {
                Some((prev, prev_pattern)) if prev_pattern == pattern => {
                    if prev.verb == record.verb {
                        return Err(Error::DuplicateRoute {
                            method: prev.verb.as_str(),
                            path,
                            first: &prev.source,
                            second: &record.source,
                        });
                    }
                    if let Some(last) = router.endpoints.last_mut() {
                        last.push(endpoint);
                    }
                }
                _ => {
                    router
                        .paths
                        .insert(pattern, router.endpoints.len())
                        .map_err(|err| Error::InvalidRoute {
                            path,
                            source_route: &record.source,
                            reason: err.to_string(),
                        })?;
                    router.endpoints.push(vec![endpoint]);
                }
            }
            previous = Some((record, pattern));
        }
        if let Some(builtins) = &builtins {
            for path in builtins.paths() {
                if let Lookup::Found(endpoint, _) = router.lookup(&http::Method::GET, path) {
                    return Err(Error::BuiltinConflict {
                        path: path.to_owned(),
                        route: &endpoint.record.source,
                    });
                }
            }
        }
        router.builtins = builtins;
        Ok(router)
    }

    /// Finds the endpoint for `method` on `path`. A trailing slash is ignored, as Express (and so
    /// NestJS) ignores it: `/sse/` finds `/sse`.
    pub(crate) fn lookup(&self, method: &http::Method, path: &str) -> Lookup<'_> {
        let path = match path.strip_suffix('/') {
            Some(trimmed) if !trimmed.is_empty() => trimmed,
            _ => path,
        };
        let Ok(found) = self.paths.at(path) else {
            return Lookup::NotFound;
        };
        let endpoints = &self.endpoints[*found.value];
        let verb = Verb::from_method(method);
        match endpoints.iter().find(|e| Some(e.verb) == verb) {
            Some(endpoint) => {
                // Parameters are named by position in the pattern, so their order is the
                // route's: the shim takes the n-th value for the n-th `:name`.
                let params = found.params.iter().map(|(_, v)| v.to_owned()).collect();
                Lookup::Found(endpoint, PathParams(params))
            }
            None => Lookup::MethodNotAllowed(endpoints),
        }
    }
}
