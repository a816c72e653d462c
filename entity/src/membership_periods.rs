//! Paid membership periods: one per paid order (`order_id` unique), stacked end to start.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_periods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// None once the member is erased.
    pub member_id: Option<i32>,
    #[sea_orm(unique)]
    pub order_id: Option<i32>,
    pub plan_id: String,
    /// `basic`, `advanced`, `premium`.
    pub tier: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub paid_fen: i64,
    /// `active`, `removed` (refunded in full), `shortened` (refunded in part).
    pub state: String,
    pub reminded_early_at: Option<DateTimeUtc>,
    pub reminded_last_at: Option<DateTimeUtc>,
    /// Monthly coupon packs granted so far (the next one is due on anniversary number this).
    pub coupon_packs_granted: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
