//! The push workers `serve` runs: the planner, once a day at the configured time (Asia/Shanghai),
//! and the sender, continuously. Several instances run both, but only one plans: the holder of
//! the planner's lease (`job_leases`, renewed at every look at the clock; when its holder dies it
//! runs out after [`PLANNER_LEASE`] and another instance takes it over and plans the day, which
//! the outbox's dedup key makes harmless if it was planned already). All instances send, sharing
//! the rows through leases. The loops (when to work,
//! sleep and stop) are here; one planning run or one sending batch is the push service's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDate, Timelike};

use crate::domain::time::shanghai;
use crate::service::push::sender::{SendReport, Sender};
use crate::service::push::{lease, planner};
use crate::state::AppState;

/// Stops the workers when dropped or told.
pub struct PushWorkers {
    stop: tokio::sync::watch::Sender<bool>,
    plans: Arc<AtomicU64>,
}

/// How long the planner's lease lasts (clock time) unless its holder renews it.
pub const PLANNER_LEASE: chrono::Duration = chrono::Duration::minutes(10);

impl PushWorkers {
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Planning runs this instance has completed.
    pub fn plans_run(&self) -> u64 {
        self.plans.load(Ordering::Relaxed)
    }
}

impl Drop for PushWorkers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the planner and the sender on the current (actix) runtime.
pub fn spawn(state: &AppState) -> anyhow::Result<PushWorkers> {
    spawn_with(state, Duration::from_secs(30))
}

/// As [`spawn`], the planner looking at the clock every `poll` (tests shorten it).
pub fn spawn_with(state: &AppState, poll: Duration) -> anyhow::Result<PushWorkers> {
    let (stop, rx) = tokio::sync::watch::channel(false);
    let sender = Arc::new(Sender::new(state));
    let sender_rx = rx.clone();
    actix_web::rt::spawn(async move { send_continuously(&sender, sender_rx).await });
    let planner_state = state.clone();
    let plans = Arc::new(AtomicU64::new(0));
    let counted = plans.clone();
    actix_web::rt::spawn(async move { plan_daily(planner_state, rx, poll, counted).await });
    tracing::info!(
        plan_minute = state.settings.push.plan_minute,
        rate = state.settings.push.send_rate_per_sec,
        "push planner and sender started"
    );
    Ok(PushWorkers { stop, plans })
}

/// Sends what is due, batch after batch; sleeps a second when nothing is (five after an
/// error); stops when told.
async fn send_continuously(sender: &Sender, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut pacer = sender.pacer();
    let mut report = SendReport::default();
    loop {
        if *stop.borrow() {
            return;
        }
        let idle = match sender.batch(&mut pacer, &mut report).await {
            Ok(0) => Duration::from_secs(1),
            Ok(_) => Duration::ZERO,
            Err(e) => {
                tracing::error!(error = %e, "push sender: batch failed");
                Duration::from_secs(5)
            }
        };
        if !idle.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

async fn plan_daily(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
    poll: Duration,
    plans: Arc<AtomicU64>,
) {
    let holder = lease::holder_id();
    let mut planned: Option<NaiveDate> = None;
    loop {
        if *stop.borrow() {
            // A clean stop hands the planning over at once.
            if let Err(e) = lease::release(&state.db, lease::PLANNER, &holder).await {
                tracing::warn!(error = %e, "push planner: lease not released; it runs out");
            }
            return;
        }
        let now = state.clock.now();
        let holds =
            match lease::acquire(&state.db, lease::PLANNER, &holder, now, PLANNER_LEASE).await {
                Ok(holds) => holds,
                Err(e) => {
                    tracing::error!(error = %e, "push planner: lease unreadable; not planning");
                    false
                }
            };
        let local = now.with_timezone(&shanghai());
        let today = local.date_naive();
        let minute = local.hour() * 60 + local.minute();
        // Started after today's time (or missed it): plan today now; the dedup key makes a
        // second run of a day harmless, and the catch-up window covers missed days.
        if holds && minute >= state.settings.push.plan_minute && planned != Some(today) {
            match planner::plan_day(&state.db, &state.settings.push, today, now, false).await {
                Ok(report) => {
                    tracing::info!(
                        as_of = %today,
                        babies = report.babies_considered,
                        planned = report.total_planned(),
                        "push planning done"
                    );
                    planned = Some(today);
                    plans.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => tracing::error!(error = %e, "push planning failed; retrying shortly"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}
