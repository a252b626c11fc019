use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("page", keep_alive = "15s")]
    fn page(&self) -> &'static str {
        "keep_alive belongs to #[sse] routes"
    }
}

fn main() {}
