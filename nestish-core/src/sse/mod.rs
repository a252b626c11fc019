//! Server-Sent Events: the event type, its encoding and the streaming response body.
//!
//! A `#[sse]` method returns a [`Stream`](futures_core::Stream) whose items are [`MessageEvent`]s
//! (or anything that converts into one, see [`SseItem`]); nestish answers with status 200 and
//! NestJS's `text/event-stream` headers at once, then writes each event as soon as the stream
//! yields it. When the client goes away the stream is dropped.

mod body;
mod config;
pub(crate) mod encode;
mod event;
pub(crate) mod hooks;
mod interval;
mod item;
mod response;
mod signal;
mod typed;

pub(crate) use config::SseConfig;
pub use config::{KeepAlive, SseOptions};
pub use event::{EventError, ForbiddenChar, MessageEvent};
pub use hooks::{StreamClosed, StreamEvent};
pub use interval::{Interval, interval};
pub(crate) use item::sealed;
pub use item::{SseItem, SseStream};
pub(crate) use response::head_response;
pub use response::{IntoSse, Sse};
pub use signal::CloseSignal;
pub(crate) use signal::SseSetup;
pub use typed::{EventWriter, SseEvent};
