use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("cats/:id")]
    fn cat(&self, #[path("id")] id: u32, #[serde::rename] name: String) -> String {
        format!("{id} {name}")
    }
}

fn main() {}
