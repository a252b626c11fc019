//! A graceful shutdown lets the runs of the stopping instance finish.

use std::time::Duration;

use super::Runs;
use crate::{BoxError, Lifecycle};

/// With its hooks registered (`.provide(Runs::new()).lifecycle::<Runs>()`), a graceful shutdown
/// waits for the runs producing on this instance after every stream and connection has ended,
/// within the app's shutdown timeout: their clients were told to reconnect, find another
/// instance on the same Redis, and read the rest of the answer there as it is produced here.
/// A run still producing at the deadline stops with the process; one on a killed process
/// (`SIGKILL`, a crash) stops at once. Its stored events stay readable either way.
///
/// ```
/// use nestish_core::run::Runs;
///
/// let builder = nestish_core::NestFactory::create()
///     .provide(Runs::new())
///     .lifecycle::<Runs>();
/// # let _ = builder;
/// ```
impl Lifecycle for Runs {
    async fn on_application_shutdown(&self) -> Result<(), BoxError> {
        let running = self.running();
        if running > 0 {
            tracing::info!(
                running,
                "shutdown: waiting for the runs producing here to end"
            );
        }
        // The hook round's own deadline (the shutdown timeout) bounds this wait.
        self.settle(Duration::MAX).await;
        Ok(())
    }
}
