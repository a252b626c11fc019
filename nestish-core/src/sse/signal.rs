//! [`CloseSignal`]: NestJS v12's `@SseSignal()`, a future that completes when the stream ends.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::SseConfig;
use crate::admission::Ticket;
use crate::state::State;

/// Completes when the SSE response it belongs to is over: the client went away, the stream
/// ended or failed, the server shut down, or the handler answered with an error instead.
///
/// Take it with a `#[signal]` argument on an `#[sse]` method, to stop work that runs outside
/// the stream (a spawned task feeding a channel, a subscription) when nobody is listening.
///
/// ```
/// use futures::{Stream, StreamExt};
/// use nestish_core::{CloseSignal, MessageEvent, controller, sse};
/// use tokio::sync::mpsc;
///
/// #[derive(Default)]
/// pub struct FeedController;
///
/// #[controller]
/// impl FeedController {
///     #[sse("feed")]
///     fn feed(&self, #[signal] closed: CloseSignal) -> impl Stream<Item = MessageEvent> + Send + 'static {
///         let (tx, mut rx) = mpsc::channel(16);
///         tokio::spawn(async move {
///             tokio::select! {
///                 _ = closed => {} // the client left: stop producing
///                 _ = async { while tx.send(MessageEvent::new("tick")).await.is_ok() {} } => {}
///             }
///         });
///         futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
///     }
/// }
/// ```
#[derive(Debug)]
#[must_use = "a CloseSignal does nothing unless awaited"]
pub struct CloseSignal(oneshot::Receiver<Infallible>);

impl Future for CloseSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The sender never sends: the only thing that can happen is that it is dropped.
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// What an SSE response is built with: the route's settings, the application's state, and the
/// sending half of a [`CloseSignal`] when the handler asked for one.
///
/// Not public API: generated code gets it from its route's context.
pub struct SseSetup {
    pub(crate) config: Arc<SseConfig>,
    pub(crate) state: Arc<State>,
    pub(crate) close: Option<oneshot::Sender<Infallible>>,
    /// The stream's admission, if its credentials or a cap count it.
    pub(crate) ticket: Option<Arc<Ticket>>,
    /// What its route's interceptors set on this stream, if anything.
    pub(crate) hooks: Option<Box<super::hooks::StreamHooks>>,
}

impl SseSetup {
    /// An `#[sse]` method's return value as the response.
    pub fn respond<R: super::IntoSse>(self, value: R) -> crate::Response {
        value.into_sse(self)
    }

    /// A signal that completes when this response is over (`#[signal]`).
    pub fn close_signal(&mut self) -> CloseSignal {
        let (tx, rx) = oneshot::channel();
        self.close = Some(tx);
        CloseSignal(rx)
    }
}
