use nestish_core::{controller, get};

#[derive(Default)]
pub struct OrdersController;

#[controller("orders", versoin = "1")]
impl OrdersController {
    #[get]
    fn list(&self) -> &'static str {
        "orders"
    }
}

fn main() {}
