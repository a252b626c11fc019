// SseItem is sealed: a type of the user's cannot write raw bytes past the encoder's checks.
use nestish_core::{BoxError, SseItem};

struct Raw;

impl SseItem for Raw {
    fn write_to(self, buf: &mut bytes::BytesMut) -> Result<(), BoxError> {
        buf.extend_from_slice(b"id: 1\nevent: injected\n\n");
        Ok(())
    }
}

fn main() {}
