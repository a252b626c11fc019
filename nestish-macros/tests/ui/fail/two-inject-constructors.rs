use std::sync::Arc;
use nestish_core::{controller, get, inject};

pub struct Service;

pub struct AppController {
    service: Arc<Service>,
}

#[controller]
impl AppController {
    #[inject]
    fn new(service: Arc<Service>) -> Self {
        Self { service }
    }

    #[inject]
    fn with(service: Arc<Service>) -> Self {
        Self { service }
    }

    #[get("/")]
    fn index(&self) {}
}

fn main() {}
