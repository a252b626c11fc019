// An event's data is one field: the type whose JSON is the `data:`.
#[derive(nestish_core::SseEvent)]
enum JobEvents {
    Progress(u64, u8),
}

fn main() {}
