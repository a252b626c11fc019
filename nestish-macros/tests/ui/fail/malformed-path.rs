use nestish_core::{controller, get, post, put};

#[derive(Default)]
pub struct AppController;

#[controller("api v1")]
impl AppController {
    #[get("cats//all")]
    fn all(&self) {}

    #[post("cats/:id")]
    fn one(&self) {}

    #[put("cats?x=1")]
    fn query(&self) {}
}

fn main() {}
