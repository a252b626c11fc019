use futures::stream::{self, Stream};
use nestish_core::{controller, sse, MessageEvent};

/// Parses, but does not write itself back: the id could not be checked against what was sent.
pub struct Seq(pub u64);

impl std::str::FromStr for Seq {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Seq)
    }
}

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[sse("events")]
    fn events(&self, #[last_event_id] after: Option<Seq>) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let _ = after;
        stream::empty()
    }
}

fn main() {}
