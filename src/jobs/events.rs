//! The events job, every minute beside the payments job: unpaid seat holds released at their
//! persisted due time (the pay order closed in the same transaction), waitlist offers expired
//! and seats offered to the next in line, cancelled events' bookings and refunds finished,
//! reminders the day before and an hour before, and booking windows and events closed as their
//! times pass. Every step is keyed and guarded, so several instances may run it at once.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;
use crate::domain::push::QuietHours;
use crate::error::AppError;
use crate::service::commerce::events::{bookings, reminders, waitlist};
use crate::wechat::pay::PayClient;

const PAUSE: Duration = Duration::from_secs(60);
const BATCH: u64 = 500;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub holds: bookings::Released,
    pub offers_expired: u32,
    /// Waitlist offers made (seats freed by released holds, expired offers, or otherwise).
    pub offered: u32,
    pub cancelled: u32,
    pub refunds_asked: u32,
    pub reminders: u64,
    pub events_moved: u64,
}

/// One pass.
pub async fn run_once(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    quiet: QuietHours,
    clock: &SharedClock,
) -> Result<Report, AppError> {
    let holds = bookings::release_due_holds(db, quiet, clock.now(), BATCH).await?;
    let expired = waitlist::expire_offers(db, quiet, clock.now(), BATCH).await?;
    let offered =
        holds.offered + expired.offered + waitlist::offer_all(db, quiet, clock.now()).await?;
    let cancelled = bookings::finish_cancellations(db, pay, quiet, clock.now()).await?;
    let refunds_asked = bookings::retry_refunds(db, pay, clock.now()).await?;
    let reminders = reminders::remind(db, quiet, clock.now()).await?;
    let events_moved = reminders::advance(db, clock.now()).await?;
    Ok(Report {
        holds,
        offers_expired: expired.expired,
        offered,
        cancelled,
        refunds_asked,
        reminders,
        events_moved,
    })
}

/// Runs until `stop` turns true.
pub async fn run(
    db: DatabaseConnection,
    pay: Option<PayClient>,
    quiet: QuietHours,
    clock: SharedClock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = run_once(&db, pay.as_ref(), quiet, &clock).await {
            tracing::error!(error = %e, "events job failed");
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(PAUSE) => {}
            _ = stop.changed() => return,
        }
    }
}
