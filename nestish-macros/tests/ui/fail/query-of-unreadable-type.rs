use nestish_core::{controller, get};

pub struct Filters;

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get]
    fn index(&self, #[query] filters: Filters) -> &'static str {
        let _ = filters;
        "ok"
    }
}

fn main() {}
