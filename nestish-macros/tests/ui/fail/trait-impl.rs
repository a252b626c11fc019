use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

pub trait Index {
    fn index(&self);
}

#[controller]
impl Index for AppController {
    #[get("/")]
    fn index(&self) {}
}

fn main() {}
