//! The second controller: job progress as SSE, with a path parameter, query values, an injected
//! service and the browser's `Last-Event-ID`, so a dropped connection resumes where it stopped;
//! for logged-in users.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::{HttpError, SseEvent, StatusCode, controller, get, inject, sse, use_guards};

use crate::auth::AuthGuard;

/// The service: which jobs exist and how many steps each has.
#[derive(Debug)]
pub struct JobBoard {
    steps: BTreeMap<&'static str, u32>,
}

impl Default for JobBoard {
    fn default() -> Self {
        Self {
            steps: BTreeMap::from([("build", 12), ("test", 20), ("deploy", 6)]),
        }
    }
}

impl JobBoard {
    /// The number of steps of job `name`, if it exists.
    #[must_use]
    pub fn steps(&self, name: &str) -> Option<u32> {
        self.steps.get(name).copied()
    }

    /// The jobs, by name.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.steps.keys().copied()
    }
}

/// One step of a job, as its progress stream sends it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The job's name.
    pub job: String,
    /// This step, from 1.
    pub step: u32,
    /// How many steps the job has.
    pub of: u32,
    /// The `Last-Event-ID` this connection resumed after, if any.
    pub resumed_after: Option<u32>,
}

/// A job's progress stream: the contract its page and the OpenAPI document read.
#[derive(SseEvent)]
pub enum JobEvents {
    /// A step done; its number is the event's id, which the browser sends back on reconnect.
    /// Named `message`, the name an `EventSource`'s `onmessage` listens to, it goes without an
    /// `event:` line.
    #[event(rename = "message", id = step)]
    Step(Step),
}

/// How many steps one connection carries before it ends, so that the browser reconnects and
/// resumes with `Last-Event-ID`, as it would after a dropped connection.
pub const STEPS_PER_CONNECTION: u32 = 5;

/// `/jobs`: the jobs, and a job's progress as a stream; logged-in users only.
pub struct JobsController {
    board: Arc<JobBoard>,
}

#[controller("jobs")]
#[use_guards(AuthGuard)]
impl JobsController {
    #[inject]
    fn new(board: Arc<JobBoard>) -> Self {
        Self { board }
    }

    /// The jobs that exist, as JSON.
    #[get("list")]
    fn list(&self) -> nestish_core::Json<Vec<&'static str>> {
        nestish_core::Json(self.board.names().collect())
    }

    /// Job `name`'s steps after the last one this client saw, `every` milliseconds apart; the
    /// step number is the event id, and the browser sends it back when it reconnects.
    #[sse(":name/progress", retry = "500ms")]
    fn progress(
        &self,
        #[param("name")] name: String,
        #[query("every")] every: Option<u64>,
        #[last_event_id] seen: Option<u32>,
    ) -> Result<impl Stream<Item = JobEvents> + Send + 'static, HttpError> {
        let total = self
            .board
            .steps(&name)
            .ok_or_else(|| HttpError::not_found(format!("no job named {name:?}")))?;
        let every = Duration::from_millis(every.unwrap_or(500).clamp(10, 10_000));
        // Every step was seen (or the client claims more than there are: a Last-Event-ID is
        // the client's word, up to u32::MAX): 204 is how a server tells EventSource to stop
        // reconnecting.
        let first = match seen {
            Some(step) if step >= total => {
                return Err(HttpError::new(StatusCode::NO_CONTENT, "job finished"));
            }
            Some(step) => step + 1,
            None => 1,
        };
        let last = total.min(first.saturating_add(STEPS_PER_CONNECTION - 1));
        Ok(stream::iter(first..=last).then(move |step| {
            let name = name.clone();
            async move {
                tokio::time::sleep(every).await;
                JobEvents::Step(Step {
                    job: name,
                    step,
                    of: total,
                    resumed_after: seen,
                })
            }
        }))
    }
}
