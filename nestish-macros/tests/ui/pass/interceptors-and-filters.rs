use futures::stream::{self, Stream};
use nestish_core::filter::{ErrorHost, ErrorReply, Exception, ExceptionFilter};
use nestish_core::intercept::{Call, Interceptor};
use nestish_core::{
    HttpError, MessageEvent, NestFactory, Response, controller, get, sse, use_filters,
    use_interceptors,
};

#[derive(Debug)]
pub struct Frozen;

impl std::fmt::Display for Frozen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("frozen")
    }
}

impl std::error::Error for Frozen {}
impl Exception for Frozen {}

pub struct FrozenFilter;

impl ExceptionFilter for FrozenFilter {
    type Error = Frozen;

    fn catch(&self, _: &Frozen, _: &ErrorHost<'_>) -> ErrorReply {
        ErrorReply::text(nestish_core::StatusCode::LOCKED, "frozen")
    }
}

pub struct Passing;

impl Interceptor for Passing {
    async fn intercept(&self, call: Call) -> Response {
        call.proceed().await
    }
}

#[derive(Default)]
pub struct AccountsController;

// Above `#[controller]` too, as `#[use_guards]` may be.
#[use_interceptors(Passing)]
#[controller("accounts")]
#[use_filters(FrozenFilter)]
impl AccountsController {
    #[get]
    #[use_interceptors(Passing, Passing)]
    fn balance(&self) -> Result<String, Frozen> {
        Err(Frozen)
    }

    #[sse("live")]
    #[use_filters(FrozenFilter)]
    fn live(
        &self,
    ) -> Result<impl Stream<Item = Result<MessageEvent, Frozen>> + Send + 'static, Frozen> {
        Ok(stream::iter([Ok(MessageEvent::new("hi")), Err(Frozen)]))
    }

    #[get("http")]
    fn http(&self) -> Result<String, HttpError> {
        Ok("ok".into())
    }
}

fn main() {
    let _ = NestFactory::create()
        .provide(Passing)
        .provide(FrozenFilter)
        .use_global_interceptor::<Passing>()
        .use_global_filter::<FrozenFilter>()
        .build();
}
