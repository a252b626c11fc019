//! AI dialects: one stream of a model's tokens, framed as the events AI clients already read.
//!
//! A model's answer is a stream of text tokens. What a client reads is a protocol around them:
//! - [`openai_chat`]: OpenAI's chat-completions chunks (`chat.completion.chunk` objects with
//!   `choices[0].delta`, then `data: [DONE]`), which the official `openai` clients and every
//!   "OpenAI-compatible" reader take;
//! - [`ui_message_stream`]: the Vercel AI SDK's UI message stream (typed parts `start`,
//!   `text-start`, `text-delta`, `text-end`, `finish`, then `data: [DONE]`), which `useChat` and
//!   `readUIMessageStream` read, answered with [`ui_message_sse`] for its
//!   `x-vercel-ai-ui-message-stream: v1` header.
//!
//! Both yield [`MessageEvent`]s, so they go straight into an `#[sse]` return or into
//! [`Runs::start`](crate::run::Runs::start): a run stores the framed events, so an attachment
//! replays and continues the answer in the same dialect (one attaching mid-answer with
//! `Last-Event-ID` gets the rest, as its client already holds the beginning).
//!
//! ```
//! use futures::StreamExt;
//! use nestish_core::dialect;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let tokens = futures::stream::iter(["Hel", "lo"]);
//! let events: Vec<_> = dialect::openai_chat("fake-1", tokens).collect().await;
//! assert_eq!(events.len(), 5); // the role, two deltas, the finish, [DONE]
//! assert_eq!(events[4].data(), Some("[DONE]"));
//! # }
//! ```

mod openai;
mod ui;

pub use self::openai::openai_chat;
pub use self::ui::{UI_MESSAGE_STREAM, ui_message_sse, ui_message_stream};

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream;

use crate::MessageEvent;

/// The data of the last event of both dialects: the client's signal that the answer is whole.
const DONE: &str = "[DONE]";

/// `head`, one event per token, then `tail`: the shape of every dialect. The tail is only sent
/// when the tokens end, so a producer stopped early (a cancelled run) never claims a finish.
fn framed<S, F>(
    head: Vec<MessageEvent>,
    tokens: S,
    delta: F,
    tail: Vec<MessageEvent>,
) -> impl Stream<Item = MessageEvent> + Send + 'static
where
    S: Stream + Send + 'static,
    S::Item: AsRef<str>,
    F: FnMut(S::Item) -> MessageEvent + Send + 'static,
{
    stream::iter(head)
        .chain(tokens.map(delta))
        .chain(stream::iter(tail))
}

/// A random id, 24 hex digits, for the dialects that name their message.
fn random_id() -> String {
    format!("{:016x}{:08x}", fastrand::u64(..), fastrand::u32(..))
}
