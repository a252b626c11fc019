//! The Vercel AI SDK's UI message stream.

use futures_core::Stream;
use http::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::{DONE, framed, random_id};
use crate::{MessageEvent, Sse, SseStream};

/// The header that tells the AI SDK's `useChat` a response is a UI message stream:
/// `x-vercel-ai-ui-message-stream: v1`. [`ui_message_sse`] sets it.
pub const UI_MESSAGE_STREAM: (HeaderName, HeaderValue) = (
    HeaderName::from_static("x-vercel-ai-ui-message-stream"),
    HeaderValue::from_static("v1"),
);

/// `tokens` as the AI SDK's UI message stream of one assistant message with one text part:
/// `start` (with a `messageId`), `text-start`, a `text-delta` per token, and once the tokens
/// end `text-end`, `finish` (`finishReason: "stop"`), then `data: [DONE]`. Answer it with
/// [`ui_message_sse`], which adds the header the SDK looks for.
///
/// ```
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let events: Vec<_> =
///     nestish_core::dialect::ui_message_stream(futures::stream::iter(["Hi"])).collect().await;
/// let part: serde_json::Value = serde_json::from_str(events[2].data().unwrap()).unwrap();
/// assert_eq!(part["type"], "text-delta");
/// assert_eq!(part["delta"], "Hi");
/// # }
/// ```
pub fn ui_message_stream<S>(tokens: S) -> impl Stream<Item = MessageEvent> + Send + 'static
where
    S: Stream + Send + 'static,
    S::Item: AsRef<str>,
{
    let message = random_id();
    let text = format!("text-{message}");
    let head = vec![
        part(json!({"type": "start", "messageId": message})),
        part(json!({"type": "text-start", "id": text})),
    ];
    let tail = vec![
        part(json!({"type": "text-end", "id": text})),
        part(json!({"type": "finish", "finishReason": "stop"})),
        MessageEvent::new(DONE),
    ];
    framed(
        head,
        tokens,
        move |token| part(json!({"type": "text-delta", "id": text, "delta": token.as_ref()})),
        tail,
    )
}

/// `stream` answered with the [`UI_MESSAGE_STREAM`] header: a fresh [`ui_message_stream`], or
/// a run's attachment to one.
///
/// ```
/// let stream = nestish_core::dialect::ui_message_stream(futures::stream::iter(["Hi"]));
/// let sse = nestish_core::dialect::ui_message_sse(stream);
/// # let _ = sse;
/// ```
pub fn ui_message_sse<S: SseStream>(stream: S) -> Sse<S> {
    let (name, value) = UI_MESSAGE_STREAM;
    Sse::new(stream).header(name, value)
}

fn part(part: Value) -> MessageEvent {
    // serde_json writes one line: the data never needs splitting.
    MessageEvent::new(part.to_string())
}
