use nestish_core::{controller, get, use_guards};

pub struct NotAGuard;

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("/")]
    #[use_guards(NotAGuard)]
    fn index(&self) {}
}

fn main() {}
