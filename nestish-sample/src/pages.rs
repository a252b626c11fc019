//! The pages, open to everyone: a logged-out browser loads them, and their streams answer 401
//! until it logs in.

use nestish_core::{Html, controller, get};

/// `GET /login`, `GET /chat`, `GET /jobs`.
#[derive(Debug, Default)]
pub struct PagesController;

#[controller]
impl PagesController {
    /// Log in with a name and a password.
    #[get("login")]
    fn login(&self) -> Html<&'static str> {
        Html(include_str!("login.html"))
    }

    /// The chat, and the user's notifications.
    #[get("chat")]
    fn chat(&self) -> Html<&'static str> {
        Html(include_str!("chat.html"))
    }

    /// Pick a job, watch its progress.
    #[get("jobs")]
    fn jobs(&self) -> Html<&'static str> {
        Html(include_str!("jobs.html"))
    }
}
