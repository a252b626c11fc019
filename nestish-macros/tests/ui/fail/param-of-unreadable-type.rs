use nestish_core::{controller, get};

pub struct OrderNumber(pub u64);

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get(":number")]
    fn index(&self, #[param("number")] number: OrderNumber) -> String {
        number.0.to_string()
    }
}

fn main() {}
