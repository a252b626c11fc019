//! A client attached to a run: the events it missed, then live ones, until the run's last event.

use futures_core::Stream;
use futures_util::StreamExt;

use super::record::Record;
use crate::hub::{HubEvent, Subscription};

/// Where an attachment stops.
#[derive(Clone, Copy, Debug)]
enum End {
    /// The run is going: stop when its `Ended` record comes.
    Open,
    /// The run ended with this last event id (`None`: it had none).
    At(Option<u64>),
}

struct Attached {
    events: Subscription,
    control: Subscription,
    end: End,
    /// The last event id sent, or the client's `Last-Event-ID`.
    seen: u64,
    /// Drop the hub's `missed` notice: the client asked for everything, and the oldest held
    /// is where everything starts (on Redis, a run's ids start above 0).
    from_start: bool,
}

/// The events of a running run after `seen`, then live ones, ending after its last event.
/// `control` is its control topic from after the last record already read.
pub(super) fn live(
    events: Subscription,
    control: Subscription,
    seen: Option<u64>,
) -> impl Stream<Item = HubEvent> + Send + 'static {
    let state = Attached {
        events,
        control,
        end: End::Open,
        seen: seen.unwrap_or(0),
        from_start: seen.is_none(),
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let End::At(last) = state.end {
                if last.is_none_or(|last| state.seen >= last) {
                    return None;
                }
            }
            tokio::select! {
                event = state.events.next() => {
                    let event = event?;
                    match event.id() {
                        Some(id) => state.seen = id,
                        None if state.from_start => continue,
                        None => {}
                    }
                    return Some((event, state));
                }
                record = state.control.next(), if matches!(state.end, End::Open) => {
                    match record.as_ref().and_then(Record::from_event) {
                        Some(Record::Ended { last, .. }) => state.end = End::At(last),
                        Some(_) => {}
                        None if record.is_none() => return None,
                        None => {}
                    }
                }
            }
        }
    })
}

/// The stored events of a finished run after `seen`, read in one pass.
pub(super) fn finished(
    history: Vec<HubEvent>,
    seen: Option<u64>,
) -> impl Stream<Item = HubEvent> + Send + 'static {
    let seen = seen.unwrap_or(0);
    futures_util::stream::iter(
        history
            .into_iter()
            .filter(move |event| event.id().is_some_and(|id| id > seen)),
    )
}
