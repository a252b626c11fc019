use futures::stream::{self, Stream};
use nestish_core::{controller, sse, MessageEvent};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[sse("events", method = "PUT")]
    fn events(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::empty()
    }
}

fn main() {}
