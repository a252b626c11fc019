use nestish_core::{controller, get};

pub struct Session(pub String);

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get]
    fn index(&self, #[cookie("session")] session: Session) -> String {
        session.0
    }
}

fn main() {}
