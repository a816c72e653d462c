//! A member's coupon: one claim (or grant) of a template. Status `unused` → `used` (once, by a
//! redemption); an unused coupon past `valid_until` is expired. Unique by (member, claim key):
//! the claim's request_id, or `grant:<key>`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub template_id: i32,
    pub merchant_id: Option<i32>,
    /// None once the member erased their account.
    pub member_id: Option<i32>,
    pub claim_key: String,
    pub status: String,
    pub valid_from: DateTimeUtc,
    /// Exclusive.
    pub valid_until: DateTimeUtc,
    pub points_spent: i32,
    pub claimed_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
