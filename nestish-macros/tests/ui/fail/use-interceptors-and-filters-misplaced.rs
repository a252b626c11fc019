use nestish_core::{controller, get, use_filters, use_interceptors};

#[derive(Default)]
pub struct AppController;

#[controller]
#[use_interceptors()]
impl AppController {
    #[get("/")]
    #[use_filters]
    fn index(&self) {}

    #[use_interceptors(Timing)]
    fn helper(&self) {}
}

#[use_filters(Errors)]
fn free() {}

fn main() {}
