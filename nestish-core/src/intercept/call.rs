//! [`Call`]: one request on its way through a route's interceptors, and [`RouteInfo`], the
//! route it is for.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Method;

use super::chain::Interceptors;
use crate::Response;
use crate::extract::RequestParts;
use crate::sse::hooks::{CloseFn, MapFn, StreamHooks};
use crate::sse::{StreamClosed, StreamEvent};

/// The handler at the end of the chain: given the request's head and the stream's hooks.
pub(crate) type Handler = Box<
    dyn FnOnce(
            RequestParts,
            Option<Box<StreamHooks>>,
        ) -> Pin<Box<dyn Future<Output = Response> + Send>>
        + Send,
>;

/// The route a call is for, as it was declared and placed.
///
/// ```
/// use nestish_core::intercept::{Call, Interceptor};
///
/// pub struct Audit;
/// impl Interceptor for Audit {
///     async fn intercept(&self, call: Call) -> nestish_core::Response {
///         let route = *call.route();
///         tracing::info!(
///             controller = route.controller(),
///             method = route.method(),
///             verb = %route.verb(),
///             path = route.path(),
///             sse = route.is_sse(),
///         );
///         call.proceed().await
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RouteInfo {
    pub(crate) controller: &'static str,
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) verb: &'static str,
    pub(crate) sse: bool,
}

impl RouteInfo {
    /// The controller's type name (`CatsController`).
    ///
    /// ```
    /// # fn f(route: nestish_core::intercept::RouteInfo) {
    /// let _ = route.controller();
    /// # }
    /// ```
    #[must_use]
    pub fn controller(&self) -> &'static str {
        self.controller
    }

    /// The route method's name (`find_one`).
    ///
    /// ```
    /// # fn f(route: nestish_core::intercept::RouteInfo) {
    /// let _ = route.method();
    /// # }
    /// ```
    #[must_use]
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The full path template, prefixes and version included (`/api/v1/cats/:id`).
    ///
    /// ```
    /// # fn f(route: nestish_core::intercept::RouteInfo) {
    /// let _ = route.path();
    /// # }
    /// ```
    #[must_use]
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The HTTP method the route declares (a `HEAD` request is served by a `GET` route).
    ///
    /// ```
    /// # fn f(route: nestish_core::intercept::RouteInfo) {
    /// let _ = route.verb() == nestish_core::Method::GET;
    /// # }
    /// ```
    #[must_use]
    pub fn verb(&self) -> Method {
        Method::from_bytes(self.verb.as_bytes()).unwrap_or(Method::GET)
    }

    /// Whether it is an `#[sse]` route.
    ///
    /// ```
    /// # fn f(route: nestish_core::intercept::RouteInfo) {
    /// let _ = route.is_sse();
    /// # }
    /// ```
    #[must_use]
    pub fn is_sse(&self) -> bool {
        self.sse
    }
}

/// One request on its way through its route's interceptors: its head, its route, and the rest
/// of the chain, which [`proceed`](Self::proceed) runs.
///
/// ```
/// use nestish_core::intercept::{Call, Interceptor};
/// use nestish_core::{HttpError, IntoResponse, Response};
///
/// /// Closed on Sundays: answers without the handler.
/// pub struct Closed(pub bool);
///
/// impl Interceptor for Closed {
///     async fn intercept(&self, call: Call) -> Response {
///         if self.0 {
///             return HttpError::service_unavailable("closed today").into_response();
///         }
///         call.proceed().await
///     }
/// }
/// ```
pub struct Call {
    parts: RequestParts,
    route: RouteInfo,
    chain: Interceptors,
    /// The index of the next interceptor to run.
    next: usize,
    handler: Handler,
    /// The hooks set by the interceptors that have proceeded, innermost first.
    hooks: StreamHooks,
    /// The hooks the running interceptor has set so far, in the order set.
    current: StreamHooks,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("route", &self.route)
            .field("method", &self.parts.method)
            .field("uri", &self.parts.uri)
            .finish_non_exhaustive()
    }
}

impl Call {
    pub(crate) fn new(
        parts: RequestParts,
        route: RouteInfo,
        chain: Interceptors,
        handler: Handler,
    ) -> Self {
        Self {
            parts,
            route,
            chain,
            next: 0,
            handler,
            hooks: StreamHooks::default(),
            current: StreamHooks::default(),
        }
    }

    /// The route this call is for.
    ///
    /// ```
    /// # fn f(call: &nestish_core::intercept::Call) {
    /// let template = call.route().path();
    /// # let _ = template; }
    /// ```
    #[must_use]
    pub fn route(&self) -> &RouteInfo {
        &self.route
    }

    /// The request's head: method, URI, headers, and what guards put in its extensions.
    ///
    /// ```
    /// # fn f(call: &nestish_core::intercept::Call) {
    /// let key = call.request().uri.to_string();
    /// # let _ = key; }
    /// ```
    #[must_use]
    pub fn request(&self) -> &RequestParts {
        &self.parts
    }

    /// The request's head, to change before the handler reads it (a header, an extension the
    /// handler's `Guarded<T>` argument reads).
    ///
    /// ```
    /// # fn f(call: &mut nestish_core::intercept::Call) {
    /// call.request_mut().extensions.insert(42_u32);
    /// # }
    /// ```
    pub fn request_mut(&mut self) -> &mut RequestParts {
        &mut self.parts
    }

    /// On an SSE route, has `map` see each event of the stream this call opens on its way out,
    /// as [`Vec::retain_mut`] does: it may read the event and rewrite it, and returns whether
    /// to send it (`false` drops it). It sees the event where it already is (written into the
    /// connection's buffer, or a hub's event shared by its subscribers), so a map that only
    /// reads costs no copy. The route's interceptors' maps run first, then the controller's,
    /// then the global ones (the response's way out). Events replayed from a hub's history go
    /// through it as live ones do. On a plain route, or when the call is answered without a
    /// stream, `map` is never called.
    ///
    /// ```
    /// # fn f(call: &mut nestish_core::intercept::Call) {
    /// // Drops the typing indicators, and marks the rest.
    /// call.map_events(|event| {
    ///     if event.event() == Some("typing") {
    ///         return false;
    ///     }
    ///     event.map_data(|data| format!("[live] {data}"));
    ///     true
    /// });
    /// # }
    /// ```
    pub fn map_events(&mut self, map: impl FnMut(&mut StreamEvent<'_>) -> bool + Send + 'static) {
        self.current.maps.push(Box::new(map) as MapFn);
    }

    /// On an SSE route, tells `hook` once, when the stream this call opens ends, why it ended
    /// and its counts. It runs as the stream is dropped: it cannot keep it open. Never called
    /// when no stream opens (a plain route, a refusal).
    ///
    /// ```
    /// # fn f(call: &mut nestish_core::intercept::Call) {
    /// call.on_close(|closed| tracing::info!(events = closed.events(), "bye"));
    /// # }
    /// ```
    pub fn on_close(&mut self, hook: impl FnOnce(&StreamClosed) + Send + 'static) {
        self.current.close.push(Box::new(hook) as CloseFn);
    }

    /// Runs the rest of the chain: the next interceptor, or the handler after the last (its
    /// arguments read then, after every interceptor has seen the request). Its response is
    /// the handler's, as the interceptors after this one changed it.
    ///
    /// ```
    /// use nestish_core::intercept::{Call, Interceptor};
    ///
    /// pub struct PassThrough;
    /// impl Interceptor for PassThrough {
    ///     async fn intercept(&self, call: Call) -> nestish_core::Response {
    ///         call.proceed().await
    ///     }
    /// }
    /// ```
    pub fn proceed(mut self) -> impl Future<Output = crate::Response> + Send {
        // The running interceptor's hooks go after the inner ones', which are set later.
        let mine = std::mem::take(&mut self.current);
        self.hooks.maps.splice(0..0, mine.maps);
        self.hooks.close.splice(0..0, mine.close);
        async move {
            match self.chain.get(self.next).map(Arc::clone) {
                Some(interceptor) => {
                    self.next += 1;
                    interceptor.intercept(self).await
                }
                None => {
                    let hooks = (!self.hooks.is_empty()).then(|| Box::new(self.hooks));
                    (self.handler)(self.parts, hooks).await
                }
            }
        }
    }
}
