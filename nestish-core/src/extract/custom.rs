//! Arguments of one's own: a type implementing [`CustomArgument`] needs no attribute, as
//! NestJS's `createParamDecorator` needs none; [`Guarded<T>`] reads what a guard stored.

use std::any::type_name;
use std::ops::{Deref, DerefMut};

use super::RequestParts;
use crate::HttpError;

/// A route argument that reads itself from the request head: write it with no attribute
/// (`user: CurrentUser`), as NestJS's `createParamDecorator` needs none. It is read after the
/// guards have run, so it sees what they stored with
/// [`GuardRequest::insert`](crate::GuardRequest::insert).
///
/// Not axum's `FromRequestParts`, whose name it had: it is synchronous, reads the head through
/// `&RequestParts` (no `&mut`, no state argument: the controller's providers are injected), and
/// answers an [`HttpError`] when it cannot.
///
/// ```
/// use nestish_core::extract::CustomArgument;
/// use nestish_core::{HttpError, RequestParts, controller, get};
///
/// /// The `Accept-Language` of the request, `en` when there is none.
/// pub struct Language(pub String);
///
/// impl CustomArgument for Language {
///     fn from_parts(parts: &RequestParts) -> Result<Self, HttpError> {
///         let header = parts.headers.get("accept-language").and_then(|v| v.to_str().ok());
///         Ok(Language(header.and_then(|v| v.get(..2)).unwrap_or("en").to_owned()))
///     }
/// }
///
/// #[derive(Default)]
/// pub struct GreetController;
///
/// #[controller("greet")]
/// impl GreetController {
///     #[get]
///     fn greet(&self, language: Language) -> &'static str {
///         if language.0 == "fr" { "bonjour" } else { "hello" }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "nestish cannot fill an argument of type `{Self}`",
    label = "no attribute says where this argument comes from",
    note = "say where with #[param(\"name\")], #[query(\"name\")], #[query], #[header(\"name\")], #[cookie(\"name\")], #[last_event_id], #[body], #[req] or (on an #[sse] route) #[signal]; or implement `nestish_core::extract::CustomArgument` for the type, or read what a guard stored with `Guarded<T>`"
)]
pub trait CustomArgument: Sized {
    /// Reads the value from the request head.
    ///
    /// # Errors
    ///
    /// The answer when it cannot: a 4xx for the client's mistake, a 500 for the app's.
    fn from_parts(parts: &RequestParts) -> Result<Self, HttpError>;
}

/// What a guard stored for the handler with
/// [`GuardRequest::insert`](crate::GuardRequest::insert): the authenticated user, a tenant.
///
/// A route that reads a `Guarded<T>` without a guard that stores a `T` answers 500 (and logs
/// which type was missing): a mistake of the app's, never a panic, and never a request let in
/// as nobody.
///
/// ```standalone_crate
/// use nestish_core::{Guard, GuardRequest, Guarded, HttpError, controller, get, use_guards};
///
/// #[derive(Clone)]
/// pub struct User(pub String);
///
/// pub struct AuthGuard;
///
/// impl Guard for AuthGuard {
///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
///         let name = request.cookie("user").ok_or_else(|| HttpError::unauthorized("who?"))?;
///         let user = User(name.to_owned());
///         request.insert(user);
///         Ok(())
///     }
/// }
///
/// #[derive(Default)]
/// pub struct MeController;
///
/// #[controller("me")]
/// #[use_guards(AuthGuard)]
/// impl MeController {
///     #[get]
///     fn me(&self, user: Guarded<User>) -> String {
///         format!("hello {}", user.0.0)
///     }
/// }
/// # let _ = nestish_core::NestFactory::create().provide(AuthGuard).build().unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guarded<T>(pub T);

impl<T> Deref for Guarded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Guarded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Clone + Send + Sync + 'static> CustomArgument for Guarded<T> {
    fn from_parts(parts: &RequestParts) -> Result<Self, HttpError> {
        match parts.extensions.get::<T>() {
            Some(value) => Ok(Self(value.clone())),
            None => {
                tracing::error!(
                    path = parts.uri.path(),
                    stored = type_name::<T>(),
                    "a route reads Guarded<T>, but no guard stored a T for it: \
                     add the guard that does with #[use_guards]"
                );
                Err(HttpError::internal())
            }
        }
    }
}
