//! The daily expiry job: an `expire` row for each lot that expired before the day, member by
//! member under each member's account lock. Running it again for the same day finds nothing
//! left to expire (each lot's expiry is keyed `expire:<lot>` and zeroes the lot).

use chrono::{DateTime, NaiveDate, Utc};
use entity::points_lots;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use crate::error::AppError;

use super::book;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    /// Members with something expired.
    pub members: u64,
    /// `expire` rows written.
    pub rows: u64,
    pub points: i64,
}

/// Members handled per read of the open lots.
const BATCH: u64 = 1000;

/// Expires every lot whose last day is before `today` (Asia/Shanghai).
pub async fn run(
    db: &DatabaseConnection,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, AppError> {
    let mut report = ExpiryReport::default();
    let mut after = 0;
    loop {
        let members: Vec<i32> = points_lots::Entity::find()
            .select_only()
            .column(points_lots::Column::MemberId)
            .distinct()
            .filter(points_lots::Column::Remaining.gt(0))
            .filter(points_lots::Column::ExpiresOn.lt(today))
            .filter(points_lots::Column::MemberId.gt(after))
            .order_by_asc(points_lots::Column::MemberId)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&last) = members.last() else {
            return Ok(report);
        };
        after = last;
        for member_id in members {
            let txn = db.begin().await?;
            let mut account = book::lock_account(&txn, member_id, now).await?;
            let (_, expired) = book::sweep(&txn, &mut account, today, now).await?;
            txn.commit().await?;
            if !expired.is_empty() {
                report.members += 1;
                report.rows += expired.len() as u64;
                report.points += expired.iter().sum::<i64>();
            }
        }
    }
}
