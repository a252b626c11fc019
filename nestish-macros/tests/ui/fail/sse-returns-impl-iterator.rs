use nestish_core::{controller, sse, MessageEvent};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[sse("events")]
    fn events(&self) -> impl Iterator<Item = MessageEvent> {
        std::iter::empty()
    }

    #[sse("nothing")]
    fn nothing(&self) {}
}

fn main() {}
