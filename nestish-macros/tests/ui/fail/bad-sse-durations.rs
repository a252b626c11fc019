use futures::stream::{self, Stream};
use nestish_core::{controller, sse, MessageEvent};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[sse("a", keep_alive = 15)]
    fn a(&self) -> impl Stream<Item = MessageEvent> + Send + 'static { stream::empty() }

    #[sse("b", keep_alive = true)]
    fn b(&self) -> impl Stream<Item = MessageEvent> + Send + 'static { stream::empty() }

    #[sse("c", keep_alive = "0s")]
    fn c(&self) -> impl Stream<Item = MessageEvent> + Send + 'static { stream::empty() }

    #[sse("d", retry = "3 seconds")]
    fn d(&self) -> impl Stream<Item = MessageEvent> + Send + 'static { stream::empty() }

    #[sse("e", retry = "1s", retry = "2s")]
    fn e(&self) -> impl Stream<Item = MessageEvent> + Send + 'static { stream::empty() }
}

fn main() {}
