use nestish_core::{controller, get, post};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("cats")]
    #[post("cats")]
    fn cats(&self) {}
}

fn main() {}
