use futures::stream::{self, Stream};
use nestish_core::{controller, sse};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[sse("numbers")]
    fn numbers(&self) -> impl Stream<Item = u32> + Send + 'static {
        stream::iter(vec![1, 2, 3])
    }
}

fn main() {}
