use nestish_core::{controller, get};

pub struct AppController;

#[controller]
impl AppController {
    #[get("/")]
    fn index(&self) -> &'static str {
        "hi"
    }
}

fn main() {}
