// The data of an event is JSON: its type must be `Serialize`, and the error says so at the field.
struct Secret;

#[derive(nestish_core::SseEvent)]
enum Events {
    Leak(Secret),
}

fn main() {}
