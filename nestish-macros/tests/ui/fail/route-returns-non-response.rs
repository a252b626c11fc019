use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

pub struct Cat;

#[controller]
impl AppController {
    #[get("/")]
    fn index(&self) -> Cat {
        Cat
    }
}

fn main() {}
