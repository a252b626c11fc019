//! The server's log lines, captured for a test to read back.

use std::io::Write;
use std::sync::{Arc, Mutex};

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
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
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
