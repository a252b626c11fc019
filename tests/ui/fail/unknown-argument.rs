use nestish_core::{controller, sse, MessageEvent};

#[derive(Default)]
pub struct AppController;

#[controller("events", version = "1")]
impl AppController {
    #[sse("live", keep_alive = 15)]
    fn live(&self) -> impl futures::Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::empty()
    }
}

fn main() {}
