use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("cats")]
    fn cats(&self, id: u32) -> String {
        id.to_string()
    }
}

fn main() {}
