use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller("cats")]
impl AppController {
    #[get(":id")]
    fn one(&self, #[param("catId")] id: u32) -> String {
        id.to_string()
    }

    #[get]
    fn all(&self, #[param("id")] id: u32) -> String {
        id.to_string()
    }
}

fn main() {}
