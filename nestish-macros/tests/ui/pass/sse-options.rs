// Heartbeat and retry settings on SSE routes, in each accepted spelling.
use futures::stream::{self, Stream};
use nestish_core::{controller, sse, MessageEvent};

#[derive(Default)]
pub struct TicksController;

#[controller("ticks")]
impl TicksController {
    #[sse("fast", keep_alive = "500ms", retry = "2s")]
    fn fast(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::empty()
    }

    #[sse("quiet", keep_alive = false)]
    fn quiet(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::empty()
    }

    #[sse(retry = "1m", shutdown_event = "restarting")]
    fn root(&self, #[signal] closed: nestish_core::CloseSignal) -> impl Stream<Item = MessageEvent> + Send + 'static {
        drop(closed);
        stream::empty()
    }
}

fn main() {
    let _app = nestish_core::NestFactory::create().build().unwrap();
}
