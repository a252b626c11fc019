use nestish_core::inject;

pub struct Service;

impl Service {
    #[inject]
    fn new() -> Self {
        Service
    }
}

fn main() {}
