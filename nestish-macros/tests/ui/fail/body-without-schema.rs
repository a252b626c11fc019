use nestish_core::{Json, controller, post};

#[derive(serde::Deserialize)]
pub struct NewOrder {
    pub item: String,
}

#[derive(Default)]
pub struct OrdersController;

#[controller("orders")]
impl OrdersController {
    #[post]
    fn create(&self, #[body] order: Json<NewOrder>) -> String {
        order.0.item
    }
}

fn main() {}
