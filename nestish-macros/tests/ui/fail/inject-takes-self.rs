use nestish_core::{controller, get, inject};

#[derive(Clone)]
pub struct AppController;

#[controller]
impl AppController {
    #[inject]
    fn new(&self) -> Self {
        self.clone()
    }

    #[get("/")]
    fn index(&self) {}
}

fn main() {}
