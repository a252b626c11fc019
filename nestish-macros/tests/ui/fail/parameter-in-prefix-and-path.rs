use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller("users/:id")]
impl AppController {
    #[get("posts/:id")]
    fn post(&self) {}
}

fn main() {}
