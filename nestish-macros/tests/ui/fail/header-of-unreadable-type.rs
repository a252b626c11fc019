use nestish_core::{controller, get};

pub struct Tenant(pub String);

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get]
    fn index(&self, #[header("x-tenant")] tenant: Option<Tenant>) -> String {
        tenant.map(|tenant| tenant.0).unwrap_or_default()
    }
}

fn main() {}
