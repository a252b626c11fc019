use nestish_core::SseEvent;

#[derive(serde::Serialize)]
pub struct Progress {
    pub percent: u8,
}

#[derive(SseEvent)]
pub enum JobEvents {
    Progress(Progress),
}

fn main() {}
