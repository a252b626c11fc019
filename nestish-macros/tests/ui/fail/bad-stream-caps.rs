use futures::Stream;
use nestish_core::{MessageEvent, controller, sse};

#[derive(Default)]
pub struct Caps;

#[controller]
impl Caps {
    #[sse("zero", max_per_principal = 0)]
    fn zero(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::empty()
    }

    #[sse("quoted", max_per_address = "3")]
    fn quoted(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::empty()
    }
}

fn main() {}
