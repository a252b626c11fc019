use nestish_core::sse;

#[sse("events")]
fn events() {}

fn main() {}
