use nestish_core::{controller, post, Json};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[post("cats")]
    fn create(&self, #[body] raw: String, #[body] cat: Json<u32>) -> String {
        format!("{raw} {}", cat.0)
    }
}

fn main() {}
