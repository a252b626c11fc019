// #[use_guards] above or below #[controller], on routes, by path; a global guard.
use nestish_core::{controller, get, sse, use_guards, Guard, GuardRequest, HttpError, MessageEvent};

pub mod auth {
    use nestish_core::{Guard, GuardRequest, HttpError};

    pub struct Roles;

    impl Guard for Roles {
        async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
            request.insert(String::from("admin"));
            Ok(())
        }
    }
}

pub struct LoggedIn;

impl Guard for LoggedIn {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        request.cookie("session").map(drop).ok_or_else(|| HttpError::unauthorized("log in"))
    }
}

#[derive(Default)]
pub struct Above;

#[use_guards(LoggedIn)]
#[controller("above")]
impl Above {
    #[get]
    fn index(&self) {}
}

#[derive(Default)]
pub struct Below;

#[controller("below")]
#[use_guards(LoggedIn, auth::Roles)]
impl Below {
    #[sse("events")]
    #[nestish_core::use_guards(auth::Roles)]
    fn events(&self) -> impl futures::Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::empty()
    }
}

fn main() {
    let app = nestish_core::NestFactory::create()
        .provide(LoggedIn)
        .provide(auth::Roles)
        .use_global_guard::<auth::Roles>()
        .build();
    assert!(app.is_ok());
}
