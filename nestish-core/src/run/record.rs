//! What a run keeps about itself beside its events: one small control topic per run, whose
//! events are these records, so every instance on the same hub reads the same owner and state.

use serde::{Deserialize, Serialize};

use super::RunStatus;
use crate::MessageEvent;
use crate::hub::HubEvent;

/// One record of a run's control topic, in the order they are published.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(super) enum Record {
    /// The run was started for `owner`: always its first record.
    Opened {
        /// The principal that may attach to and cancel it.
        owner: String,
    },
    /// Someone asked it to stop; its producer stops at once, wherever it runs.
    Cancel,
    /// Its producer is done: `last` is the id of its last event, if it had any.
    Ended {
        /// Why it ended.
        status: RunStatus,
        /// Its last event's id in the run's event topic.
        last: Option<u64>,
    },
}

impl Record {
    /// The record as a hub event (JSON data, one line).
    pub(super) fn to_event(&self) -> MessageEvent {
        // A derived `Serialize` of strings and numbers cannot fail.
        MessageEvent::new(serde_json::to_string(self).unwrap_or_default())
    }

    /// The record a control topic's event holds; `None` for anything else (a `missed` notice).
    pub(super) fn from_event(event: &HubEvent) -> Option<Self> {
        let text = std::str::from_utf8(event.encoded()).ok()?;
        let data = text.lines().find_map(|line| line.strip_prefix("data: "))?;
        serde_json::from_str(data).ok()
    }
}

/// What a run's control topic says, read in one pass.
#[derive(Debug, Default)]
pub(super) struct Summary {
    /// The owner, once the `Opened` record is read.
    pub(super) owner: Option<String>,
    /// Its end, if it ended: status and last event id.
    pub(super) ended: Option<(RunStatus, Option<u64>)>,
    /// The id of the last record read: live records come after it.
    pub(super) last_record: u64,
}

impl Summary {
    /// The summary of a control topic's history.
    pub(super) fn of(history: &[HubEvent]) -> Self {
        let mut summary = Self::default();
        for event in history {
            summary.last_record = event.id().unwrap_or(summary.last_record);
            match Record::from_event(event) {
                Some(Record::Opened { owner }) => summary.owner = Some(owner),
                Some(Record::Ended { status, last }) => summary.ended = Some((status, last)),
                Some(Record::Cancel) | None => {}
            }
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_from_its_hub_event() {
        let records = [
            Record::Opened {
                owner: "ann \"the\" admin".to_owned(),
            },
            Record::Cancel,
            Record::Ended {
                status: RunStatus::Cancelled,
                last: Some(1_764_000_000_000_042),
            },
        ];
        for record in records {
            let event = HubEvent::published(3, &record.to_event());
            assert_eq!(Record::from_event(&event), Some(record));
        }
        assert_eq!(Record::from_event(&HubEvent::missed(1, 2)), None);
    }
}
