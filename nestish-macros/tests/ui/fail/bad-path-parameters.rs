use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController;

#[controller("files")]
impl AppController {
    #[get("*rest/meta")]
    fn meta(&self) {}

    #[get(":1st")]
    fn first(&self) {}

    #[get(":id/:id")]
    fn twice(&self) {}

    #[get("{id}")]
    fn braces(&self) {}

    #[get("img-:id")]
    fn inside(&self) {}
}

fn main() {}
