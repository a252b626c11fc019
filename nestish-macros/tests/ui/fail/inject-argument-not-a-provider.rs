use std::sync::Arc;
use nestish_core::{controller, get, inject};

pub struct Service;

pub struct AppController {
    service: Arc<Service>,
}

#[controller]
impl AppController {
    #[inject]
    fn new(service: Arc<Service>, name: String) -> Self {
        let _ = name;
        Self { service }
    }

    #[get("/")]
    fn index(&self) {}
}

fn main() {}
