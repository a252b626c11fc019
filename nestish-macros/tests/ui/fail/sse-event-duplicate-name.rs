// Two variants may not be the same event: a client could not tell them apart.
#[derive(nestish_core::SseEvent)]
enum Events {
    Message(String),
    #[event(rename = "message")]
    Other(String),
}

fn main() {}
