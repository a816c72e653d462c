//! A group (拼团): `forming` (the leader's order unpaid) → `open` (paid; `expires_at` set) → `filled` or `failed` (every paid order refunded). `seats`: orders holding a place (unpaid included), never above the size; `paid_count`: paid members.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub group_buy_id: i32,
    pub leader_member_id: Option<i32>,
    pub status: String,
    pub seats: i32,
    pub paid_count: i32,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
