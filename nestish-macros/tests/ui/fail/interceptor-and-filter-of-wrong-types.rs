use nestish_core::{controller, get, use_filters, use_interceptors};

pub struct NotAnInterceptor;
pub struct NotAFilter;

#[derive(Default)]
pub struct AppController;

#[controller]
#[use_interceptors(NotAnInterceptor)]
impl AppController {
    #[get("/")]
    #[use_filters(NotAFilter)]
    fn index(&self) {}
}

fn main() {}
