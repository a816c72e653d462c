//! The daily check-in on the Asia/Shanghai calendar: one per member and day (a unique index,
//! and the account lock that serialises a member's parallel taps), streak points from the
//! check-in rule's ladder.

use chrono::{DateTime, Utc};
use entity::points_check_ins;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::points::{
    Base, LastCheckIn, PointsError, Reason, check_in as decide, idempotency_key,
};
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::support::is_unique_violation;

use super::book::{self};
use super::earn::{compute, credit_move};
use super::{config, points_error};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedIn {
    /// Points credited for today's check-in.
    pub points: i64,
    /// Today's day of the streak (1-based).
    pub streak: i32,
    /// The balance after it.
    pub balance: i64,
}

/// The member's last check-in.
pub(super) async fn last_check_in<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Option<LastCheckIn>, AppError> {
    Ok(points_check_ins::Entity::find()
        .filter(points_check_ins::Column::MemberId.eq(member_id))
        .order_by_desc(points_check_ins::Column::Day)
        .one(db)
        .await?
        .map(|row| LastCheckIn {
            day: row.day,
            streak_day: u8::try_from(row.streak_day).unwrap_or(1),
        }))
}

/// Checks the member in for today; again the same day: 409 `already_checked_in`.
pub async fn check_in<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<CheckedIn, AppError> {
    let today = shanghai_date(now);
    let txn = db.begin().await?;
    let mut account = book::lock_account(&txn, member_id, now).await?;
    let rules = config::rules(&txn).await?;
    let rule = rules.rule(Reason::CheckIn);
    if !rule.enabled {
        return Err(points_error(PointsError::EarningDisabled {
            reason: Reason::CheckIn,
        }));
    }
    let last = last_check_in(&txn, member_id).await?;
    let day = decide(rules.check_in_ladder(), last, today).map_err(points_error)?;
    let credit = compute(
        &txn,
        &account,
        rule,
        Base::StreakDay(day.streak_day),
        today,
        now,
    )
    .await?;
    let points = credit.points;
    points_check_ins::ActiveModel {
        member_id: Set(member_id),
        day: Set(today),
        streak_day: Set(i32::from(day.streak_day)),
        points: Set(points),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            points_error(PointsError::AlreadyCheckedIn { day: today })
        } else {
            e.into()
        }
    })?;
    let reference = today.to_string();
    let key = idempotency_key(Reason::CheckIn, &reference).map_err(points_error)?;
    let mv = credit_move(Reason::CheckIn, &reference, key, credit, today)?;
    let outcome = book::book(&txn, &mut account, mv, today, now).await?;
    if outcome.is_replay() {
        return Err(points_error(PointsError::AlreadyCheckedIn { day: today }));
    }
    txn.commit().await?;
    Ok(CheckedIn {
        points,
        streak: i32::from(day.streak_day),
        balance: account.balance,
    })
}
