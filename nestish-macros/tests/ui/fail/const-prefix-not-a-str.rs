use nestish_core::{controller, get};

pub const ORDERS: u32 = 1;

#[derive(Default)]
pub struct OrdersController;

#[controller(ORDERS)]
impl OrdersController {
    #[get]
    fn list(&self) -> &'static str {
        "orders"
    }
}

fn main() {}
