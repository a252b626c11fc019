//! The server's log lines, captured for a test to read back.
//!
//! `tracing` decides once per log call site whether any subscriber listens, and caches a "no".
//! A capture installed while another test's thread reaches a call site for the first time
//! could miss that call site for good (it happened: the route table's lines, in CI). So a
//! listener is the process's default subscriber from before `main`: every call site asks it,
//! it says "ask me each time", and each call is then sent to the capture of its thread (or of
//! the process), if there is one.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// Every log line written while the guard of [`capture`] lives, formatted without colours.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The lines that contain every one of `needles`.
    pub fn lines(&self, needles: &[&str]) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned();
        text.lines()
            .filter(|line| needles.iter().all(|needle| line.contains(needle)))
            .map(str::to_owned)
            .collect()
    }
}

/// Captures this thread's log lines up to `level` until the guard is dropped. Use it in a
/// current-thread test: the server's tasks then run on this thread, under this subscriber.
pub fn capture(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let (captured, subscriber) = subscriber(level);
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Captures every thread's log lines up to `level`, for the rest of the process: for a test
/// binary of one multi-threaded test, whose server runs on the runtime's workers.
pub fn capture_process(level: tracing::Level) -> Captured {
    let (captured, subscriber) = subscriber(level);
    assert!(
        PROCESS.set(Dispatch::new(subscriber)).is_ok(),
        "one process-wide capture"
    );
    captured
}

/// A subscriber that writes lines up to `level` into what it returns with it.
fn subscriber(level: tracing::Level) -> (Captured, impl tracing::Subscriber + Send + Sync) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    (captured, subscriber)
}

/// The capture of [`capture_process`], once made.
static PROCESS: OnceLock<Dispatch> = OnceLock::new();

// SAFETY: runs before `main`, touching nothing but `tracing`'s global default, which needs no
// runtime and no other constructor.
#[ctor::ctor(unsafe)]
fn listen_from_the_start() {
    tracing::subscriber::set_global_default(Listener).expect("the first subscriber");
}

/// The process's default subscriber: keeps every call site asking, and hands what it is asked
/// to the process-wide capture if there is one (a thread's own capture takes its calls before
/// they reach the default).
struct Listener;

impl Listener {
    fn process() -> Option<&'static Dispatch> {
        PROCESS.get()
    }
}

impl Subscriber for Listener {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Self::process().is_some_and(|dispatch| dispatch.enabled(metadata))
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        // Only called once `enabled` said yes, which needs the process-wide capture.
        Self::process()
            .expect("a span is made only when enabled")
            .new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(dispatch) = Self::process() {
            dispatch.record(span, values);
        }
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        if let Some(dispatch) = Self::process() {
            dispatch.record_follows_from(span, follows);
        }
    }

    fn event(&self, event: &Event<'_>) {
        if let Some(dispatch) = Self::process() {
            dispatch.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        if let Some(dispatch) = Self::process() {
            dispatch.enter(span);
        }
    }

    fn exit(&self, span: &Id) {
        if let Some(dispatch) = Self::process() {
            dispatch.exit(span);
        }
    }

    fn clone_span(&self, id: &Id) -> Id {
        Self::process().map_or_else(|| id.clone(), |dispatch| dispatch.clone_span(id))
    }

    fn try_close(&self, id: Id) -> bool {
        Self::process().is_some_and(|dispatch| dispatch.try_close(id))
    }
}
