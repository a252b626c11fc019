use nestish_core::{controller, get};

pub const ORDERS: &str = "orders";

#[derive(Default)]
pub struct OrdersController;

#[controller("orders", path = ORDERS)]
impl OrdersController {
    #[get]
    fn list(&self) -> &'static str {
        "orders"
    }
}

fn main() {}
