//! A bearer-token guard, NestJS's `@UseGuards(AuthGuard)`: every route of the controller needs
//! `Authorization: Bearer <token>`, and the handlers read who is asking as `Guarded<User>`.
//!
//! ```sh
//! cargo run -p nestish-examples --bin bearer-guard   # API_TOKENS=token:name,... (default s3cret:ann)
//! curl -H 'authorization: Bearer s3cret' http://127.0.0.1:3000/me
//! curl -N -H 'authorization: Bearer s3cret' http://127.0.0.1:3000/events
//! curl -i http://127.0.0.1:3000/me                   # 401, with WWW-Authenticate
//! ```
//!
//! The tokens are a fixed list, to keep the example small: a real app verifies a signed token
//! (a JWT, with a crate such as `jsonwebtoken`) or looks it up in its store, at the same place.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::header::{HeaderValue, WWW_AUTHENTICATE};
use nestish_core::openapi::SecurityScheme;
use nestish_core::{
    Guard, GuardRequest, Guarded, HttpError, NestFactory, controller, get, sse, use_guards,
};

/// Who a token belongs to: what the guard hands the handlers.
#[derive(Clone)]
struct User {
    name: String,
}

/// A provided service like any other: `NestFactory::create().provide(BearerGuard { .. })`.
struct BearerGuard {
    users: HashMap<String, String>,
}

impl Guard for BearerGuard {
    // Runs before any argument is read and before any body byte: a request without a token
    // costs its head alone, and a refused SSE request opens no stream.
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let token = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "));
        let Some(name) = token.and_then(|token| self.users.get(token)) else {
            return Err(HttpError::unauthorized("a bearer token is needed")
                .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        };
        // The principal names the user to nestish: per-user stream caps, hub presence.
        request.principal(format!("user:{name}"));
        request.insert(User { name: name.clone() });
        Ok(())
    }

    // The OpenAPI document marks the guarded routes as needing this scheme.
    fn security_scheme() -> Option<SecurityScheme> {
        Some(SecurityScheme::bearer("token"))
    }
}

#[derive(Default)]
struct MeController;

#[controller]
#[use_guards(BearerGuard)]
impl MeController {
    #[get("me")]
    fn me(&self, user: Guarded<User>) -> String {
        format!("you are {}", user.name)
    }

    // Guarded like the rest: the stream opens only for a known token.
    #[sse("events")]
    fn events(&self, user: Guarded<User>) -> impl Stream<Item = String> + Send + 'static {
        let name = user.name.clone();
        nestish_core::interval(Duration::from_secs(1)).map(move |_| format!("tick for {name}"))
    }
}

/// `token:name,token:name` from `API_TOKENS`.
fn users() -> HashMap<String, String> {
    let tokens = std::env::var("API_TOKENS").unwrap_or_else(|_| "s3cret:ann".to_owned());
    let pairs = tokens.split(',').filter_map(|pair| pair.split_once(':'));
    pairs
        .map(|(token, name)| (token.to_owned(), name.to_owned()))
        .collect()
}

#[tokio::main]
async fn main() -> ExitCode {
    let app = NestFactory::create()
        .provide(BearerGuard { users: users() })
        .build();
    nestish_examples::serve(app, 3000).await
}
