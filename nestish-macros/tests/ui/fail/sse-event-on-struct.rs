// Events are the variants of an enum.
#[derive(nestish_core::SseEvent)]
struct Progress {
    percent: u8,
}

fn main() {}
