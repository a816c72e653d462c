//! The append-only points ledger: every credit, spend, expiry and adjustment, with the balance
//! after it. Its deltas add up to the account's balance. The database refuses DELETE and any
//! UPDATE but erasure's (member_id to NULL).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// NULL once the member erased their account (the amounts stay for accounting).
    pub member_id: Option<i32>,
    pub delta: i64,
    pub balance_after: i64,
    pub growth_delta: i64,
    pub growth_after: i64,
    /// An earning reason (`check_in`, `dose_recorded`, ...), `spend`, `expire` or `adjustment`.
    pub reason: String,
    pub reference: Option<String>,
    /// Unique per member: `reason:reference`, `adjustment:<request_id>`, `expire:<lot>`, ...
    pub idempotency_key: String,
    /// Slug of the campaign that multiplied this credit.
    pub campaign: Option<String>,
    /// Credits only: the last day the lot it opened can be spent.
    pub expires_on: Option<Date>,
    /// The Asia/Shanghai day of the entry (daily caps, tasks).
    pub day: Date,
    /// What a spend was for, or an operator's reason for an adjustment.
    pub note: Option<String>,
    /// The operator who made an adjustment.
    pub operator_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
