//! A member's paid membership as other features see it: the periods that count and the tier
//! active at a moment. Buying, stacking and refunding periods is `commerce::membership`; this
//! sits low so that features below commerce (points campaigns by tier) can ask too.

use chrono::{DateTime, Utc};
use entity::membership_periods as periods_t;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::membership::Tier;
use crate::error::AppError;

pub mod period_state {
    pub const ACTIVE: &str = "active";
    /// Refunded in full while unused.
    pub const REMOVED: &str = "removed";
    /// Refunded in part, or ended early by an upgrade.
    pub const SHORTENED: &str = "shortened";
}

/// Periods that still count (not removed), oldest first.
pub async fn live_periods<C: sea_orm::ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Vec<periods_t::Model>, AppError> {
    Ok(periods_t::Entity::find()
        .filter(periods_t::Column::MemberId.eq(member_id))
        .filter(periods_t::Column::State.ne(period_state::REMOVED))
        .order_by_asc(periods_t::Column::StartsAt)
        .order_by_asc(periods_t::Column::Id)
        .all(db)
        .await?)
}

/// The highest tier among the periods covering `now`.
pub fn tier_of(periods: &[periods_t::Model], now: DateTime<Utc>) -> Option<Tier> {
    periods
        .iter()
        .filter(|p| p.starts_at <= now && now < p.ends_at)
        .filter_map(|p| Tier::parse(&p.tier))
        .max()
}

/// The member's active tier at `now`, for other features (content, points, coupons).
pub async fn tier_on<C: sea_orm::ConnectionTrait>(
    db: &C,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<Tier>, AppError> {
    Ok(tier_of(&live_periods(db, member_id).await?, now))
}
