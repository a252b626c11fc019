use nestish_core::{controller, get};

#[derive(serde::Deserialize)]
pub struct Page {
    pub offset: u32,
}

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get]
    fn index(&self, #[query("page")] page: Page) -> String {
        page.offset.to_string()
    }
}

fn main() {}
