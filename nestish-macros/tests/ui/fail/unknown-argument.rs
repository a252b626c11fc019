use nestish_core::{controller, sse, MessageEvent};

#[derive(Default)]
pub struct AppController;

#[controller("events", version = "1")]
impl AppController {
    #[sse("live", every = "1s")]
    fn live(&self) -> impl futures::Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::empty()
    }
}

fn main() {}
