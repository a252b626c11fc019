use nestish_core::{controller, get};

#[derive(Default)]
pub struct AppController<T>(T);

#[controller]
impl<T: Default + Send + Sync + 'static> AppController<T> {
    #[get("/")]
    fn index(&self) {}
}

fn main() {}
