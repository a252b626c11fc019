use nestish_core::{controller, sse};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[sse("events")]
    fn events(&self) -> String {
        String::from("not a stream")
    }
}

fn main() {}
