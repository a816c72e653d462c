//! Where other features meet the membership's benefits.
//!
//! LEAD WIRES HERE (after merging the coupons and points features):
//! - the monthly coupon pack ([`Benefit::MonthlyCouponPack`]): on each month's anniversary of an
//!   advanced or premium period, once per (period, month), call the coupons feature's `grant`
//!   with the grant key [`coupon_pack_grant_key`];
//! - the points multiplier ([`Benefit::PointsMultiplier`]): the points feature asks
//!   [`points_multiplier_percent`] when it credits.
//!
//! Until then both are data only: listed in plans and in `GET /api/v1/membership`.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::domain::membership::{Benefit, benefits};
use crate::error::AppError;

/// The idempotency key of a period's coupon pack for its `month`-th anniversary (0-based).
pub fn coupon_pack_grant_key(period_id: i32, month: u32) -> String {
    format!("membership:{period_id}:{month}")
}

/// 100 without membership; 200 for premium (points ×2).
pub async fn points_multiplier_percent<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let tier = super::tier_on(db, member_id, now).await?;
    Ok(tier
        .map(benefits)
        .unwrap_or_default()
        .into_iter()
        .find_map(|b| match b {
            Benefit::PointsMultiplier { percent } => Some(percent),
            _ => None,
        })
        .unwrap_or(100))
}
