use nestish_core::get;

pub struct AppController;

impl AppController {
    #[get("/")]
    fn index(&self) -> &'static str {
        "hi"
    }
}

fn main() {}
