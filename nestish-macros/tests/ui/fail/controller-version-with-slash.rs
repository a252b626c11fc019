use nestish_core::{controller, get};

#[derive(Default)]
pub struct OrdersController;

#[controller("orders", version = "1/2")]
impl OrdersController {
    #[get]
    fn list(&self) -> &'static str {
        "orders"
    }
}

fn main() {}
