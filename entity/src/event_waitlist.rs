//! A member waiting for seats of a full event, in id order: `waiting` → `offered` (seats held for
//! two hours) → `accepted` or `expired`; `left` when they leave.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_waitlist")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub event_id: i32,
    pub member_id: Option<i32>,
    pub live_member_id: Option<i32>,
    pub seats: i32,
    pub status: String,
    pub offered_at: Option<DateTimeUtc>,
    pub offer_due_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
