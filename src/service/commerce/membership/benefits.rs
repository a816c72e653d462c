//! Where other features meet the membership's benefits.
//!
//! - The monthly coupon pack ([`crate::domain::membership::Benefit::MonthlyCouponPack`]): the
//!   payments job calls [`grant_coupon_packs`], which grants the pack's templates
//!   (`BABYVAX_MEMBERSHIP_COUPON_PACK`) through the coupons feature on a period's first day and
//!   each monthly anniversary, once per (period, month, template).
//! - The points multiplier ([`crate::domain::membership::Benefit::PointsMultiplier`]) is applied
//!   by the points feature itself: its earner carries the member's tier.

use chrono::{DateTime, Utc};
use entity::membership_periods as periods_t;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::period_state;
use crate::domain::membership::{Benefit, Tier, benefits, coupon_packs_due};
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::commerce::coupons::claims::grant;

/// The grant key of a period's coupon pack for its `month`-th anniversary (0-based), per
/// template: the coupons feature grants once per member and key.
pub fn coupon_pack_grant_key(period_id: i32, month: u32, template_id: i32) -> String {
    format!("membership:{period_id}:{month}:{template_id}")
}

/// Grants the coupon packs due at `now` to members of running advanced and premium periods;
/// answers how many coupons were granted. A template that cannot be granted (ended) is logged
/// and the period retried on the next run; a sold-out template leaves the member without it.
pub async fn grant_coupon_packs(
    db: &DatabaseConnection,
    pack: &[i32],
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    if pack.is_empty() {
        return Ok(0);
    }
    let today = shanghai_date(now);
    let with_pack: Vec<&str> = Tier::ALL
        .into_iter()
        .filter(|tier| {
            benefits(*tier)
                .iter()
                .any(|b| matches!(b, Benefit::MonthlyCouponPack { .. }))
        })
        .map(Tier::as_str)
        .collect();
    let running = periods_t::Entity::find()
        .filter(periods_t::Column::Tier.is_in(with_pack))
        .filter(periods_t::Column::State.ne(period_state::REMOVED))
        .filter(periods_t::Column::StartsAt.lte(now))
        .filter(periods_t::Column::EndsAt.gt(now))
        .filter(periods_t::Column::MemberId.is_not_null())
        .all(db)
        .await?;
    let mut granted = 0;
    for period in running {
        let Some(member_id) = period.member_id else {
            continue;
        };
        let done = u32::try_from(period.coupon_packs_granted).unwrap_or(0);
        let due = coupon_packs_due(period.starts_at, period.ends_at, today);
        if due <= done {
            continue;
        }
        let mut complete = true;
        for month in done..due {
            for &template in pack {
                let key = coupon_pack_grant_key(period.id, month, template);
                match grant(db, template, &key, &[member_id], now).await {
                    Ok(report) => {
                        granted += report.granted;
                        if report.sold_out > 0 {
                            tracing::warn!(template, period = period.id, "coupon pack sold out");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(template, period = period.id, error = %e, "coupon pack not granted");
                        complete = false;
                    }
                }
            }
        }
        if complete {
            periods_t::Entity::update_many()
                .col_expr(
                    periods_t::Column::CouponPacksGranted,
                    Expr::value(i32::try_from(due).unwrap_or(i32::MAX)),
                )
                .filter(periods_t::Column::Id.eq(period.id))
                .exec(db)
                .await?;
        }
    }
    Ok(granted)
}
