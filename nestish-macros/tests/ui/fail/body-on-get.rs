use futures::stream::{self, Stream};
use nestish_core::{controller, get, sse, MessageEvent};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("search")]
    fn search(&self, #[body] query: String) -> String {
        query
    }

    #[sse("events")]
    fn events(&self, #[body] filter: String) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter(vec![MessageEvent::new(filter)])
    }
}

fn main() {}
