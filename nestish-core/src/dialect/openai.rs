//! OpenAI's chat-completions chunks.

use std::time::{SystemTime, UNIX_EPOCH};

use futures_core::Stream;
use serde_json::{Value, json};

use super::{DONE, framed, random_id};
use crate::MessageEvent;

/// `tokens` as OpenAI's streamed chat completion from `model`: a first chunk with the
/// assistant's role, a chunk per token (`choices[0].delta.content`), a last chunk with
/// `finish_reason: "stop"` once the tokens end, then `data: [DONE]`. Every chunk has the same
/// `id` (`chatcmpl-…`), `created` and `model`, as OpenAI's do.
///
/// ```
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let events: Vec<_> =
///     nestish_core::dialect::openai_chat("fake-1", futures::stream::iter(["Hi"])).collect().await;
/// let chunk: serde_json::Value = serde_json::from_str(events[1].data().unwrap()).unwrap();
/// assert_eq!(chunk["object"], "chat.completion.chunk");
/// assert_eq!(chunk["choices"][0]["delta"]["content"], "Hi");
/// # }
/// ```
pub fn openai_chat<S>(
    model: impl Into<String>,
    tokens: S,
) -> impl Stream<Item = MessageEvent> + Send + 'static
where
    S: Stream + Send + 'static,
    S::Item: AsRef<str>,
{
    let chunk = Chunk {
        id: format!("chatcmpl-{}", random_id()),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs()),
        model: model.into(),
    };
    let head = vec![chunk.event(json!({"role": "assistant", "content": ""}), None)];
    let tail = vec![
        chunk.event(json!({}), Some("stop")),
        MessageEvent::new(DONE),
    ];
    framed(
        head,
        tokens,
        move |token| chunk.event(json!({"content": token.as_ref()}), None),
        tail,
    )
}

/// What every chunk of one completion repeats.
struct Chunk {
    id: String,
    created: u64,
    model: String,
}

impl Chunk {
    fn event(&self, delta: Value, finish_reason: Option<&str>) -> MessageEvent {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        });
        // serde_json writes one line: the data never needs splitting.
        MessageEvent::new(chunk.to_string())
    }
}
