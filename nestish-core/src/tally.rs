//! The application's own running counts, which [`AppHandle`](crate::AppHandle) reads: its
//! answers by status and the SSE events its streams sent.
//!
//! Not the `metrics` facade's figures: those belong to the process (one recorder for every
//! app in it), exist only with the `metrics` feature, and leave out the answers no route gives.
//! These are the app's own, always on, and count every answer it gives: its routes', the 404s
//! and 405s of requests no route takes, its guards' refusals, its built-in routes', the
//! server's refusals of malformed requests and, when the app has tower layers, what the
//! outermost layer answers. The cost is one relaxed atomic add per answer and one per 64 events
//! of a busy stream (or per pause of a quiet one), on a table the app allocates once (in a block of its own, so its writes do not
//! share a cache line with the flags every stream reads).

use std::sync::atomic::{AtomicU64, Ordering};

use http::StatusCode;

/// The lowest status [`StatusCode`] holds; the table's first slot.
const LOWEST: u16 = 100;

/// One slot a status, from 100 to 999 ([`StatusCode`]'s range).
const SLOTS: usize = 900;

/// The counts of one application.
#[derive(Debug)]
pub(crate) struct Tally {
    /// Answers by status, the answers of status `s` at `s - 100`.
    answers: Box<[AtomicU64]>,
    /// Events sent by its SSE streams (heartbeats not included).
    events: AtomicU64,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            answers: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            events: AtomicU64::new(0),
        }
    }
}

impl Tally {
    /// An answer of `status` went out.
    #[inline]
    pub(crate) fn answered(&self, status: StatusCode) {
        let slot = usize::from(status.as_u16().saturating_sub(LOWEST));
        if let Some(count) = self.answers.get(slot) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `events` more events went out (a stream's batch: see `sse::body`).
    #[inline]
    pub(crate) fn sent(&self, events: u64) {
        if events > 0 {
            self.events.fetch_add(events, Ordering::Relaxed);
        }
    }

    /// The answers so far, by status, ascending; statuses never given are left out.
    pub(crate) fn by_status(&self) -> Vec<(StatusCode, u64)> {
        (LOWEST..)
            .zip(self.answers.iter())
            .filter_map(|(status, count)| {
                let count = count.load(Ordering::Relaxed);
                let status = StatusCode::from_u16(status).ok()?;
                (count > 0).then_some((status, count))
            })
            .collect()
    }

    /// The events sent so far.
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_status_in_range_and_only_those_given() {
        let tally = Tally::default();
        for status in [200, 404, 200, 100, 999] {
            tally.answered(StatusCode::from_u16(status).unwrap());
        }
        let counted: Vec<(u16, u64)> = tally
            .by_status()
            .into_iter()
            .map(|(status, count)| (status.as_u16(), count))
            .collect();
        assert_eq!(counted, [(100, 1), (200, 2), (404, 1), (999, 1)]);
    }

    #[test]
    fn counts_events_not_heartbeats() {
        let tally = Tally::default();
        tally.sent(3);
        tally.sent(0);
        tally.sent(1);
        assert_eq!(tally.events(), 4);
    }
}
