use nestish_core::{controller, get};

#[derive(Default)]
pub struct OrdersController;

#[controller("orders")]
impl OrdersController {
    #[get("count", version = 2)]
    fn count(&self) -> &'static str {
        "3"
    }
}

fn main() {}
