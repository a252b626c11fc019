use nestish_core::{controller, get, post};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("static")]
    fn no_receiver() {}

    #[post("mut")]
    fn mutable(&mut self) {}

    #[post("owned")]
    fn owned(self) {}
}

fn main() {}
