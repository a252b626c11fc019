use nestish_core::{controller, get};

const PATH: &str = "cats";

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get(PATH)]
    fn index(&self) -> &'static str {
        "hi"
    }
}

fn main() {}
