//! The shop's background work, every 30 seconds: unpaid orders cancelled at their persisted
//! `pay_due_at` (stock, coupon and points given back, the pay order closed in the same
//! transaction), shipped orders received 10 days after shipping, flash sales ended (unsold stock
//! back to the SKU), group buys past their time failed and their paid members refunded, paid points-mall coupon items delivered. Every change is a guarded
//! transition, so several instances (or two passes at once) change each order once.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;
use crate::error::AppError;
use crate::service::commerce::shop::lifecycle::{self, Swept};
use crate::wechat::pay::PayClient;

const PAUSE: Duration = Duration::from_secs(30);
const BATCH: u64 = 200;

/// One pass; `pay` None (payment disabled) refunds nothing (failed groups wait for it).
pub async fn run_once(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    clock: &SharedClock,
) -> Result<Swept, AppError> {
    lifecycle::sweep(db, pay, clock.now(), BATCH).await
}

/// Runs until `stop` turns true.
pub async fn run(
    db: DatabaseConnection,
    pay: Option<PayClient>,
    clock: SharedClock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = run_once(&db, pay.as_ref(), &clock).await {
            tracing::error!(error = %e, "shop job failed");
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
