//! The daily points expiry: once a day (Asia/Shanghai), soon after midnight and at start-up,
//! lots that expired before today get their `expire` rows. Several instances may run it: each
//! lot's expiry is keyed, and members are handled under their account lock.

use std::time::Duration;

use chrono::NaiveDate;

use crate::service::points::expiry;
use crate::state::AppState;

/// Stops the job when dropped.
pub struct PointsExpiry {
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for PointsExpiry {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the daily expiry on the current (actix) runtime.
pub fn spawn(state: &AppState) -> PointsExpiry {
    spawn_with(state, Duration::from_secs(60))
}

/// As [`spawn`], looking at the clock every `poll`.
pub fn spawn_with(state: &AppState, poll: Duration) -> PointsExpiry {
    let (stop, rx) = tokio::sync::watch::channel(false);
    let state = state.clone();
    actix_web::rt::spawn(async move { expire_daily(state, rx, poll).await });
    PointsExpiry { stop }
}

async fn expire_daily(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
    poll: Duration,
) {
    let mut done: Option<NaiveDate> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let now = state.clock.now();
        let today = state.clock.today_shanghai();
        if done != Some(today) {
            match expiry::run(&state.db, today, now).await {
                Ok(report) => {
                    tracing::info!(
                        as_of = %today,
                        members = report.members,
                        rows = report.rows,
                        points = report.points,
                        "points expiry done"
                    );
                    done = Some(today);
                }
                Err(e) => tracing::error!(error = %e, "points expiry failed; retrying shortly"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}
