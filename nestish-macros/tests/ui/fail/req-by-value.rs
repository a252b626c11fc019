use nestish_core::{controller, get, RequestParts};

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get]
    fn index(&self, #[req] req: RequestParts) -> String {
        req.uri.to_string()
    }
}

fn main() {}
