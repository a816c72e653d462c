//! Inbound retention: every hour (and at start-up), callback deliveries received more than
//! `BABYVAX_INBOUND_RETENTION_DAYS` ago lose their body and stored reply; the rows themselves
//! (dedup key, sender, type, event, times) stay. Work goes in ranges of [`BATCH_IDS`] ids, one
//! short write transaction each with a pause between, so the callback door's writer is never held
//! up for long. Several instances may run it: clearing a cleared row changes nothing.

use std::time::Duration;

use crate::service::messaging::inbound;
use crate::state::AppState;

/// Ids per write transaction.
pub const BATCH_IDS: i64 = 1000;
/// The pause between two write transactions.
pub const PAUSE: Duration = Duration::from_millis(20);

/// Stops the job when dropped.
pub struct InboundRetention {
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for InboundRetention {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the hourly retention on the current (actix) runtime.
pub fn spawn(state: &AppState) -> InboundRetention {
    spawn_with(state, Duration::from_secs(3600))
}

/// As [`spawn`], running every `every`.
pub fn spawn_with(state: &AppState, every: Duration) -> InboundRetention {
    let (stop, rx) = tokio::sync::watch::channel(false);
    let state = state.clone();
    actix_web::rt::spawn(async move { prune_regularly(state, rx, every).await });
    InboundRetention { stop }
}

async fn prune_regularly(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
    every: Duration,
) {
    let days = i64::from(state.settings.inbound_retention_days);
    // Ids below the cursor are done; a restart walks them once more (cheaply: nothing to clear).
    let mut cursor = 0;
    loop {
        if *stop.borrow() {
            return;
        }
        let cutoff = state.clock.now() - chrono::Duration::days(days);
        match inbound::prune(&state.db, cutoff, cursor, BATCH_IDS, PAUSE).await {
            Ok(report) => {
                cursor = report.cursor;
                if report.rows > 0 {
                    tracing::info!(
                        rows = report.rows,
                        batches = report.batches,
                        %cutoff,
                        "inbound retention cleared old bodies and replies"
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "inbound retention failed; retrying next round"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}
