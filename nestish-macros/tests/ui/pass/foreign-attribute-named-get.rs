// Another tool's attribute that happens to be called `get` is not a route.
use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("/")]
    fn index(&self) -> &'static str {
        self.helper()
    }

    #[rustfmt::get]
    fn helper(&self) -> &'static str {
        "not a route"
    }
}

fn main() {}
