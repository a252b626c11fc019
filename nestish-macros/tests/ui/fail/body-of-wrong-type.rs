use nestish_core::{controller, post};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[post("count")]
    fn count(&self, #[body] n: u32) -> String {
        n.to_string()
    }
}

fn main() {}
