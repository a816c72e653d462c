//! Where other features meet the membership's benefits.
//!
//! LEAD WIRES HERE (after merging the coupons and points features):
//! - the monthly coupon pack ([`Benefit::MonthlyCouponPack`]): on each month's anniversary of an
//!   advanced or premium period, once per (period, month), call the coupons feature's `grant`
//!   with the grant key [`coupon_pack_grant_key`];
//!
//! The points multiplier ([`crate::domain::membership::Benefit::PointsMultiplier`]) is applied by
//! the points feature itself: its earner carries the member's tier.

/// The idempotency key of a period's coupon pack for its `month`-th anniversary (0-based).
pub fn coupon_pack_grant_key(period_id: i32, month: u32) -> String {
    format!("membership:{period_id}:{month}")
}
