use nestish_core::{controller, get, CloseSignal};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("page")]
    fn page(&self, #[signal] closed: CloseSignal) -> &'static str {
        let _ = closed;
        "a plain response has no stream to end"
    }
}

fn main() {}
