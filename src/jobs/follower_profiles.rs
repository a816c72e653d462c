//! Fetches each new follower's WeChat profile for its unionid, which links the follower to the
//! mini-program member with the same unionid (and so lets reminders go out as template messages).
//! The callback door never waits on this: follows only mark the follower as "to fetch".

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;
use crate::error::AppError;
use crate::service::audience::followers;
use crate::wechat::api::{OfficialAccount, RetryClass};

const BATCH: u64 = 20;
const IDLE_PAUSE: Duration = Duration::from_secs(15);
const ERROR_PAUSE: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub fetched: usize,
    pub linked_members: u64,
    /// Given back for a later try (WeChat busy, network, quota).
    pub released: usize,
    /// Not retried: WeChat refused for good (e.g. the openid is not ours).
    pub failed: usize,
}

/// Fetches one batch of profiles.
pub async fn sync_once(
    db: &DatabaseConnection,
    official_account: &OfficialAccount,
    clock: &SharedClock,
) -> Result<SyncReport, AppError> {
    let mut report = SyncReport::default();
    for follower in followers::claim_profile_checks(db, clock.now(), BATCH).await? {
        match official_account.user_info(&follower.openid).await {
            Ok(info) => {
                report.fetched += 1;
                if let Some(unionid) = info.unionid.as_deref().filter(|u| !u.is_empty()) {
                    report.linked_members +=
                        followers::record_unionid(db, follower.id, unionid, clock.now()).await?;
                }
            }
            Err(e) if !matches!(e.retry_class(), RetryClass::Permanent) => {
                tracing::warn!(openid = %follower.openid, error = %e, "profile fetch failed; will retry");
                followers::release_profile_check(db, follower.id).await?;
                report.released += 1;
            }
            Err(e) => {
                tracing::warn!(openid = %follower.openid, error = %e, "profile fetch refused; not retried");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// Runs until `stop` turns true.
pub async fn run(
    db: DatabaseConnection,
    official_account: OfficialAccount,
    clock: SharedClock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let pause = match sync_once(&db, &official_account, &clock).await {
            Ok(report) if report.released > 0 => ERROR_PAUSE,
            Ok(report) if report.fetched + report.failed > 0 => Duration::ZERO,
            Ok(_) => IDLE_PAUSE,
            Err(e) => {
                tracing::error!(error = %e, "follower profile sync failed");
                ERROR_PAUSE
            }
        };
        if *stop.borrow() {
            return;
        }
        if !pause.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
