//! Payments' background work, every minute: unpaid orders closed at their persisted due time,
//! orders and refunds whose notification never came settled by asking WeChat Pay, and
//! membership renewal reminders put into the push outbox, and members' monthly coupon packs.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;
use crate::domain::push::QuietHours;
use crate::error::AppError;
use crate::service::commerce::{checkout, membership, payments};
use crate::wechat::pay::PayClient;

const PAUSE: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub reconciled: payments::Reconciled,
    pub reminders: u64,
    /// Coupons granted as monthly packs.
    pub coupon_packs: u64,
}

/// One pass; `pay` None (payment disabled) still sends renewal reminders.
pub async fn run_once(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    quiet: QuietHours,
    coupon_pack: &[i32],
    clock: &SharedClock,
) -> Result<Report, AppError> {
    let reconciled = match pay {
        Some(pay) => checkout::reconcile(db, pay, clock.now()).await?,
        None => payments::Reconciled::default(),
    };
    let reminders = membership::reminders::remind(db, quiet, clock.now()).await?;
    let coupon_packs =
        membership::benefits::grant_coupon_packs(db, coupon_pack, clock.now()).await?;
    Ok(Report {
        reconciled,
        reminders,
        coupon_packs,
    })
}

/// Runs until `stop` turns true.
pub async fn run(
    db: DatabaseConnection,
    pay: Option<PayClient>,
    quiet: QuietHours,
    coupon_pack: Vec<i32>,
    clock: SharedClock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = run_once(&db, pay.as_ref(), quiet, &coupon_pack, &clock).await {
            tracing::error!(error = %e, "payments job failed");
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
