use nestish_core::{controller, get};

/// An error type that neither answers (`IntoResponse`) nor is an `Exception` for the filters.
#[derive(Debug)]
pub struct Oops;

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("/")]
    fn index(&self) -> Result<String, Oops> {
        Err(Oops)
    }
}

fn main() {}
