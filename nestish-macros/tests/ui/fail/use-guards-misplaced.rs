use nestish_core::{controller, get, use_guards};

#[derive(Default)]
pub struct AppController;

#[controller]
#[use_guards()]
impl AppController {
    #[get("/")]
    fn index(&self) {}

    #[use_guards(Auth)]
    fn helper(&self) {}
}

#[use_guards(Auth)]
fn free() {}

fn main() {}
